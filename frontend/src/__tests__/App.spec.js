import { flushPromises } from '@vue/test-utils'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

import { JOB_ID, jobJson, resultsJson, useStubHttp } from '@/__tests__/support/http.js'
import { mountWithApp, storeSession } from '@/__tests__/support/mount.js'
import api from '@/rest/rest.js'

import App from '../App.vue'

const server = useStubHttp()
let wrapper

function tab(name) {
  return wrapper.findAll('[role="tab"]').find((node) => node.text() === name)
}

// Async views (JobCreateView, JobDetailView, SettingsView) load through dynamic import().
async function settle() {
  await flushPromises()
  await vi.dynamicImportSettled()
  await flushPromises()
}

beforeEach(() => {
  server
    .on('GET', 'version-info/', {
      data: { version: '1.0.0', environment: 'test', git_revision: null },
    })
    .on('GET', 'jobs/list/', {
      data: { count: 1, next: null, previous: null, results: [jobJson()] },
    })
    .on('GET', `jobs/status/${JOB_ID}/`, { data: jobJson() })
    .on('GET', `jobs/results/${JOB_ID}/`, { data: resultsJson() })
    .on('GET', 'settings/', { data: { language: 'en', page_size: 10 } })
    .on('POST', 'auth/logout/', { data: {} })
})

afterEach(() => {
  wrapper?.unmount()
  api.unsetAuthHeader()
})

describe('App', () => {
  it('shows the sign-in form without a session, and the version in the footer', async () => {
    ;({ wrapper } = mountWithApp(App))
    await settle()
    expect(wrapper.find('h2').text()).toBe('Sign in')
    expect(wrapper.find('[role="tablist"]').exists()).toBe(false)
    expect(wrapper.find('footer').text()).toContain('Version 1.0.0')
  })

  it('shows the tabs and the list for a signed-in user', async () => {
    storeSession()
    ;({ wrapper } = mountWithApp(App, { attachTo: document.body }))
    await settle()
    expect(wrapper.findAll('[role="tab"]').map((node) => node.text())).toEqual([
      'List',
      'New',
      'Settings',
    ])
    expect(tab('List').attributes('aria-selected')).toBe('true')
    expect(tab('List').attributes('tabindex')).toBe('0')
    expect(tab('New').attributes('tabindex')).toBe('-1')
    expect(wrapper.find('[role="tabpanel"]').attributes('aria-labelledby')).toBe(
      tab('List').attributes('id'),
    )
    expect(wrapper.find('[data-testid="user-menu"]').text()).toContain('ada@example.com')
    expect(wrapper.findAll('article')).toHaveLength(1)
  })

  it('moves between tabs with the arrow keys, Home and End', async () => {
    storeSession()
    ;({ wrapper } = mountWithApp(App, { attachTo: document.body }))
    await settle()
    await tab('List').trigger('keydown', { key: 'ArrowRight' })
    await settle()
    expect(tab('New').attributes('aria-selected')).toBe('true')
    expect(document.activeElement).toBe(tab('New').element)
    expect(wrapper.find('[data-testid="job-form"]').exists()).toBe(true)

    await tab('New').trigger('keydown', { key: 'End' })
    await settle()
    expect(tab('Settings').attributes('aria-selected')).toBe('true')
    expect(wrapper.find('[data-testid="settings-form"]').exists()).toBe(true)

    await tab('Settings').trigger('keydown', { key: 'ArrowRight' })
    expect(tab('List').attributes('aria-selected')).toBe('true')
    await tab('List').trigger('keydown', { key: 'ArrowLeft' })
    expect(tab('Settings').attributes('aria-selected')).toBe('true')
    await tab('Settings').trigger('keydown', { key: 'Home' })
    expect(tab('List').attributes('aria-selected')).toBe('true')
  })

  it('opens a job from the list and comes back', async () => {
    storeSession()
    ;({ wrapper } = mountWithApp(App))
    await settle()
    await wrapper
      .findAll('button')
      .find((node) => node.text() === 'View')
      .trigger('click')
    await settle()
    expect(wrapper.find('[data-testid="job-results"]').exists()).toBe(true)
    expect(tab('List').attributes('aria-selected')).toBe('true')
    await wrapper
      .findAll('button')
      .find((node) => node.text().includes('Back to the list'))
      .trigger('click')
    await settle()
    expect(wrapper.findAll('article')).toHaveLength(1)
  })

  it('logs out from the user menu, which Escape closes', async () => {
    storeSession()
    ;({ wrapper } = mountWithApp(App, { attachTo: document.body }))
    await settle()
    const menuButton = wrapper.find('[data-testid="user-menu"]')
    await menuButton.trigger('click')
    await settle()
    expect(menuButton.attributes('aria-expanded')).toBe('true')
    expect(document.activeElement.getAttribute('role')).toBe('menuitem')
    await wrapper.find('[role="menu"]').trigger('keydown', { key: 'Escape' })
    expect(wrapper.find('[role="menu"]').exists()).toBe(false)
    expect(document.activeElement).toBe(menuButton.element)

    await menuButton.trigger('click')
    await settle()
    await wrapper.find('[role="menuitem"]').trigger('click')
    await settle()
    expect(server.requestsTo('POST', 'auth/logout/')).toHaveLength(1)
    expect(wrapper.find('h2').text()).toBe('Sign in')
    expect(JSON.parse(localStorage.getItem('auth')).token).toBeNull()
  })

  it('speaks German when German is chosen', async () => {
    storeSession()
    ;({ wrapper } = mountWithApp(App, { locale: 'de' }))
    await settle()
    expect(wrapper.findAll('[role="tab"]').map((node) => node.text())).toEqual([
      'Liste',
      'Neu',
      'Einstellungen',
    ])
  })
})
