import { describe, expect, it } from 'vitest'

import { mountWithApp } from '@/__tests__/support/mount.js'

import JobPhases from '../JobPhases.vue'

function phases(props, locale = 'en') {
  return mountWithApp(JobPhases, { props, locale }).wrapper
}

function states(wrapper) {
  return wrapper.findAll('li').map((item) => item.attributes('data-state'))
}

describe('JobPhases', () => {
  it('lists the four phases in order', () => {
    const wrapper = phases({ status: 'pending' })
    expect(wrapper.findAll('li').map((item) => item.text().replace(/^\W+/, ''))).toEqual([
      '1. Read the input (not started)',
      '2. Analyse (not started)',
      '3. Save the results (not started)',
      '4. Clean up (not started)',
    ])
  })

  it('says a pending job waits for a worker, with no phase current', () => {
    const wrapper = phases({ status: 'pending' })
    expect(wrapper.find('[role="status"]').text()).toBe(
      'Analysing… this page updates by itself. Queued, waiting to start.',
    )
    expect(wrapper.find('[aria-current]').exists()).toBe(false)
  })

  it('marks the phase a processing job is in, and the ones before it as done', () => {
    const wrapper = phases({ status: 'processing', phase: 'save' })
    expect(wrapper.find('[data-testid="job-phase-summary"]').text()).toBe(
      'Phase 3 of 4: Save the results.',
    )
    expect(states(wrapper)).toEqual(['done', 'done', 'current', 'upcoming'])
    expect(wrapper.find('[aria-current="step"]').text()).toContain('Save the results')
    expect(wrapper.find('[aria-current="step"]').text()).toContain('(in progress)')
  })

  it('says only that it started when the answer names no phase', () => {
    const wrapper = phases({ status: 'processing', phase: null })
    expect(wrapper.find('[data-testid="job-phase-summary"]').text()).toBe('Started.')
    expect(states(wrapper)).toEqual(['upcoming', 'upcoming', 'upcoming', 'upcoming'])
  })

  it('speaks German', () => {
    const wrapper = phases({ status: 'processing', phase: 'analyse' }, 'de')
    expect(wrapper.find('[data-testid="job-phase-summary"]').text()).toBe(
      'Phase 2 von 4: Analysieren.',
    )
    expect(wrapper.find('ol').attributes('aria-label')).toBe('Phasen der Analyse')
  })
})
