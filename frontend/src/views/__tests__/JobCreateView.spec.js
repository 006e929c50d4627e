import { flushPromises } from '@vue/test-utils'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

import { JOB_ID, jobJson, resultsJson, useStubHttp } from '@/__tests__/support/http.js'
import { mountWithApp } from '@/__tests__/support/mount.js'
import { field } from '@/__tests__/support/queries.js'

import JobCreateView from '../JobCreateView.vue'

const server = useStubHttp()

function statusSequence(...statuses) {
  let call = 0
  server.on('GET', `jobs/status/${JOB_ID}/`, () => {
    const status = statuses[Math.min(call, statuses.length - 1)]
    call += 1
    return { data: jobJson({ status, error_message: status === 'failed' ? 'Not UTF-8.' : '' }) }
  })
}

async function fillAndSubmit(wrapper) {
  await field(wrapper, 'Title').setValue('Essay')
  await field(wrapper, 'Text').setValue('The river runs by the stone.')
  await wrapper.find('form').trigger('submit')
  await flushPromises()
}

beforeEach(() => {
  vi.useFakeTimers()
  server.on('POST', 'jobs/create/', { status: 202, data: { id: JOB_ID, status: 'pending' } })
})

afterEach(() => {
  vi.useRealTimers()
})

describe('JobCreateView', () => {
  it('checks the input before sending anything', async () => {
    const { wrapper } = mountWithApp(JobCreateView)
    await field(wrapper, 'Number of top terms').setValue('0')
    await wrapper.find('form').trigger('submit')
    expect(server.requests).toEqual([])
    expect(wrapper.text()).toContain('Enter a title.')
    expect(wrapper.text()).toContain('Enter some text.')
    expect(wrapper.text()).toContain('Enter a whole number from 1 to 100.')
  })

  it('asks for a file in file mode', async () => {
    const { wrapper } = mountWithApp(JobCreateView)
    await wrapper.find('input[type="radio"][value="file"]').setValue()
    await field(wrapper, 'Title').setValue('Data')
    await wrapper.find('form').trigger('submit')
    expect(wrapper.text()).toContain('Choose a file.')
    expect(field(wrapper, 'File').attributes('accept')).toBe('.txt,.md,.csv')
  })

  it('submits, polls until completed, and shows the results', async () => {
    statusSequence('processing', 'completed')
    server.on('GET', `jobs/results/${JOB_ID}/`, { data: resultsJson() })
    const { wrapper } = mountWithApp(JobCreateView)
    await field(wrapper, 'Language').setValue('de')
    await fillAndSubmit(wrapper)

    expect(server.requests[0].data).toEqual({
      title: 'Essay',
      text: 'The river runs by the stone.',
      options: { language: 'de', top_n: 10 },
    })
    expect(wrapper.find('[data-testid="status-badge"]').text()).toContain('Pending')
    expect(wrapper.find('[role="status"]').text()).toContain('Analysing')

    await vi.advanceTimersByTimeAsync(2000)
    expect(wrapper.find('[data-testid="status-badge"]').text()).toContain('Processing')
    await vi.advanceTimersByTimeAsync(2000)
    await flushPromises()

    expect(wrapper.find('[data-testid="status-badge"]').text()).toContain('Completed')
    expect(wrapper.find('[data-testid="results.words"]').text()).toBe('120')
    expect(wrapper.find('[data-testid="top-terms"]').text()).toContain('river')
    await wrapper
      .findAll('button')
      .find((b) => b.text() === 'Open details')
      .trigger('click')
    expect(wrapper.emitted('view')).toEqual([[JOB_ID]])
  })

  it('shows the phase while the job runs, and no charts with the results', async () => {
    const answers = [jobJson({ status: 'processing', phase: 'analyse' }), jobJson()]
    server
      .on('GET', `jobs/status/${JOB_ID}/`, () => ({ data: answers.shift() ?? jobJson() }))
      .on('GET', `jobs/results/${JOB_ID}/`, { data: resultsJson() })
    const { wrapper } = mountWithApp(JobCreateView)
    await fillAndSubmit(wrapper)
    expect(wrapper.find('[data-testid="job-phase-summary"]').text()).toBe(
      'Queued, waiting to start.',
    )
    await vi.advanceTimersByTimeAsync(2000)
    expect(wrapper.find('[aria-current="step"]').text()).toContain('Analyse')
    await vi.advanceTimersByTimeAsync(2000)
    await flushPromises()
    expect(wrapper.find('[data-testid="job-results"]').exists()).toBe(true)
    expect(wrapper.find('[data-testid="job-phases"]').exists()).toBe(false)
    expect(wrapper.find('canvas').exists()).toBe(false)
  })

  it('shows why a job failed', async () => {
    statusSequence('failed')
    const { wrapper } = mountWithApp(JobCreateView)
    await fillAndSubmit(wrapper)
    await vi.advanceTimersByTimeAsync(2000)
    expect(wrapper.find('[role="alert"]').text()).toBe('The analysis failed: Not UTF-8.')
    expect(server.requestsTo('GET', `jobs/results/${JOB_ID}/`)).toEqual([])
  })

  it('puts server field errors beside their fields', async () => {
    server.on('POST', 'jobs/create/', {
      status: 400,
      data: { text: ['Text is larger than 1 MB.'], options: { top_n: ['Unknown.'] } },
    })
    const { wrapper } = mountWithApp(JobCreateView)
    await fillAndSubmit(wrapper)
    const describedBy = field(wrapper, 'Text').attributes('aria-describedby')
    expect(wrapper.find(`#${describedBy}`).text()).toBe('Text is larger than 1 MB.')
    expect(wrapper.text()).toContain('Unknown.')
    expect(wrapper.find('[role="alert"]').exists()).toBe(false)
  })

  it('shows other submit errors as an alert and keeps the input', async () => {
    server.on('POST', 'jobs/create/', { status: 403, data: { detail: 'Not allowed.' } })
    const { wrapper } = mountWithApp(JobCreateView)
    await fillAndSubmit(wrapper)
    expect(wrapper.find('[role="alert"]').text()).toBe('Not allowed.')
    expect(field(wrapper, 'Title').element.value).toBe('Essay')
  })

  it('uploads the chosen file', async () => {
    const { wrapper } = mountWithApp(JobCreateView)
    await wrapper.find('input[type="radio"][value="file"]').setValue()
    await field(wrapper, 'Title').setValue('Data')
    const input = field(wrapper, 'File')
    const file = new File(['a,b\n1,2\n'], 'data.csv', { type: 'text/csv' })
    Object.defineProperty(input.element, 'files', { value: [file] })
    await input.trigger('change')
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(server.requests[0].data.get('file').name).toBe('data.csv')
  })

  it('stops polling when the view is left', async () => {
    statusSequence('processing')
    const { wrapper } = mountWithApp(JobCreateView)
    await fillAndSubmit(wrapper)
    await vi.advanceTimersByTimeAsync(2000)
    const polled = server.requestsTo('GET', `jobs/status/${JOB_ID}/`).length
    wrapper.unmount()
    await vi.advanceTimersByTimeAsync(60_000)
    expect(polled).toBe(1)
    expect(server.requestsTo('GET', `jobs/status/${JOB_ID}/`)).toHaveLength(1)
  })
})
