import { describe, expect, it } from 'vitest'

import { mountWithApp } from '@/__tests__/support/mount.js'
import { buttonNamed } from '@/__tests__/support/queries.js'
import { NETWORK_ERROR } from '@/rest/errors.js'

import LoadStatus from '../LoadStatus.vue'

const slots = { default: '<p data-testid="content">The data</p>' }

function mountStatus(props, options = {}) {
  return mountWithApp(LoadStatus, { props, slots, ...options }).wrapper
}

describe('LoadStatus', () => {
  it('announces loading and holds the content back', () => {
    const wrapper = mountStatus({ loading: true })
    expect(wrapper.find('[role="status"]').text()).toBe('Loading…')
    expect(wrapper.find('[role="alert"]').exists()).toBe(false)
    expect(wrapper.find('[data-testid="content"]').exists()).toBe(false)
  })

  it('shows a new load rather than the error of the last one', () => {
    const wrapper = mountStatus({ loading: true, error: 'Not found.' })
    expect(wrapper.find('[role="status"]').text()).toBe('Loading…')
    expect(wrapper.find('[role="alert"]').exists()).toBe(false)
  })

  it('shows the server message with a retry instead of the content', async () => {
    const wrapper = mountStatus({ error: 'Not found.' })
    expect(wrapper.find('[role="alert"]').text()).toContain('Not found.')
    expect(wrapper.find('[role="status"]').exists()).toBe(false)
    expect(wrapper.find('[data-testid="content"]').exists()).toBe(false)

    await buttonNamed(wrapper, 'Try again').trigger('click')
    expect(wrapper.emitted('retry')).toHaveLength(1)
  })

  it('translates the errors the client makes up', () => {
    const wrapper = mountStatus({ error: NETWORK_ERROR }, { locale: 'de' })
    expect(wrapper.find('[role="alert"]').text()).toContain('Der Server ist nicht erreichbar.')
    expect(buttonNamed(wrapper, 'Erneut versuchen').exists()).toBe(true)
  })

  it('shows the content once loaded', () => {
    const wrapper = mountStatus({})
    expect(wrapper.find('[data-testid="content"]').text()).toBe('The data')
    expect(wrapper.find('[role="status"]').exists()).toBe(false)
    expect(wrapper.find('[role="alert"]').exists()).toBe(false)
  })
})
