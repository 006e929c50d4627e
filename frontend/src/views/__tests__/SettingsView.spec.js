import { flushPromises } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'

import { useStubHttp } from '@/__tests__/support/http.js'
import { mountWithApp } from '@/__tests__/support/mount.js'
import { field } from '@/__tests__/support/queries.js'
import { useSettingsStore } from '@/stores/settings.js'

import SettingsView from '../SettingsView.vue'

const server = useStubHttp()

describe('SettingsView', () => {
  it('shows a loading state first', async () => {
    server.on('GET', 'settings/', () => new Promise(() => {}))
    const { wrapper } = mountWithApp(SettingsView)
    await flushPromises()
    expect(wrapper.find('[role="status"]').text()).toBe('Loading…')
  })

  it('shows a load error with a retry', async () => {
    server.on('GET', 'settings/', 'network-error')
    const { wrapper } = mountWithApp(SettingsView)
    await flushPromises()
    expect(wrapper.find('[role="alert"]').text()).toContain('The server cannot be reached')
  })

  it('fills the form from the server and saves the changes', async () => {
    server
      .on('GET', 'settings/', { data: { language: 'en', page_size: 20 } })
      .on('PUT', 'settings/', (request) => ({ data: request.data }))
    const { wrapper } = mountWithApp(SettingsView)
    await flushPromises()
    expect(field(wrapper, 'Analyses per page').element.value).toBe('20')

    await field(wrapper, 'Language').setValue('de')
    await field(wrapper, 'Analyses per page').setValue('50')
    await wrapper.find('form').trigger('submit')
    await flushPromises()

    expect(server.requestsTo('PUT', 'settings/')[0].data).toEqual({ language: 'de', page_size: 50 })
    const settings = useSettingsStore()
    expect([settings.language, settings.pageSize]).toEqual(['de', 50])
    expect(wrapper.find('[role="status"]').text()).toBe('Settings saved.')
  })

  it('shows a rejected value beside its field', async () => {
    server
      .on('GET', 'settings/', { data: { language: 'en', page_size: 10 } })
      .on('PUT', 'settings/', {
        status: 400,
        data: { page_size: ['Ensure this value is less than or equal to 100.'] },
      })
    const { wrapper } = mountWithApp(SettingsView)
    await flushPromises()
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(wrapper.text()).toContain('Ensure this value is less than or equal to 100.')
    expect(wrapper.find('[role="status"]').exists()).toBe(false)
  })

  it('shows other save errors as an alert', async () => {
    server
      .on('GET', 'settings/', { data: { language: 'en', page_size: 10 } })
      .on('PUT', 'settings/', { status: 503, data: '' })
    const { wrapper } = mountWithApp(SettingsView)
    await flushPromises()
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(wrapper.find('[role="alert"]').text()).toContain('error 503')
  })
})
