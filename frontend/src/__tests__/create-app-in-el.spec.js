import { flushPromises } from '@vue/test-utils'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { defineComponent, h } from 'vue'
import { useI18n } from 'vue-i18n'

import { createAppI18n } from '../i18n.js'
import { http } from '../rest/rest.js'
import { useAuthStore } from '../stores/auth.js'
import { useSettingsStore } from '../stores/settings.js'
import { createAppInEl } from '../create-app-in-el.js'
import { useStubHttp } from './support/http.js'
import { storeSession } from './support/mount.js'

const Greeting = defineComponent({
  setup() {
    const { t } = useI18n()
    const auth = useAuthStore()
    return () => h('p', `${t('nav.list')}|${auth.username}`)
  },
})

const server = useStubHttp()
const apps = []

function mountAt(selector, i18n = createAppI18n()) {
  const app = createAppInEl(Greeting, selector, { i18n })
  if (app) apps.push(app)
  return { app, i18n }
}

beforeEach(() => {
  document.body.innerHTML = '<div id="vue-app"></div>'
})

afterEach(() => {
  apps.splice(0).forEach((app) => app.unmount())
  delete http.defaults.headers.common.Authorization
})

describe('createAppInEl', () => {
  it('skips a page without the mount point', () => {
    expect(mountAt('#not-on-this-page').app).toBeNull()
    expect(document.body.innerHTML).toBe('<div id="vue-app"></div>')
  })

  it('mounts into the element with i18n and Pinia', () => {
    expect(mountAt('#vue-app').app).not.toBeNull()
    expect(document.querySelector('#vue-app').textContent).toBe('List|')
  })

  it('starts in the remembered language and follows changes', async () => {
    localStorage.setItem('settings', JSON.stringify({ language: 'de', pageSize: 10 }))
    const { app } = mountAt('#vue-app')
    expect(document.querySelector('#vue-app').textContent).toBe('Liste|')
    expect(document.documentElement.lang).toBe('de')
    expect(http.defaults.headers.common['Accept-Language']).toBe('de')

    const settings = useSettingsStore(app.config.globalProperties.$pinia)
    settings.apply({ language: 'en' })
    await flushPromises()
    expect(document.querySelector('#vue-app').textContent).toBe('List|')
  })

  it('restores the session and takes the language from the fresh user', async () => {
    storeSession({ email: 'ada@example.com' })
    server.on('GET', 'auth/user/', {
      data: { pk: 1, email: 'ada@example.com', language: 'de', page_size: 20 },
    })
    mountAt('#vue-app')
    await flushPromises()
    expect(server.requests[0].headers.Authorization).toBe('Token tok123')
    expect(document.querySelector('#vue-app').textContent).toBe('Liste|ada@example.com')
  })

  it('logs out when the stored token is rejected', async () => {
    storeSession()
    server
      .on('GET', 'auth/user/', { status: 401, data: { detail: 'Invalid token.' } })
      .on('POST', 'auth/logout/', { status: 401, data: { detail: 'Invalid token.' } })
    mountAt('#vue-app')
    await flushPromises()
    expect(JSON.parse(localStorage.getItem('auth')).token).toBeNull()
    expect(document.querySelector('#vue-app').textContent).toBe('List|')
  })
})
