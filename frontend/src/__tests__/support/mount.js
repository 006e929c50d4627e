import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import piniaPluginPersistedstate from 'pinia-plugin-persistedstate'
import { createApp } from 'vue'

import { createAppI18n } from '@/i18n.js'

// A new Pinia with the app's persistence plugin, as a page load creates one: stores read their
// state back from localStorage. Plugins only run once Pinia is installed in an app, so store
// specs, which mount nothing, get it installed in a bare one.
export function freshPinia() {
  const pinia = createPinia()
  pinia.use(piniaPluginPersistedstate)
  createApp({}).use(pinia)
  setActivePinia(pinia)
  return pinia
}

// Mounts with the app's real plugins: Pinia with persistence (localStorage) and vue-i18n.
export function mountWithApp(component, { props = {}, slots, locale = 'en', attachTo } = {}) {
  const pinia = freshPinia()
  const i18n = createAppI18n(locale)
  const wrapper = mount(component, { props, slots, attachTo, global: { plugins: [pinia, i18n] } })
  return { wrapper, pinia, i18n }
}

// A signed-in session as a reload would find it in localStorage.
export function storeSession({ token = 'tok123', email = 'ada@example.com' } = {}) {
  localStorage.setItem(
    'auth',
    JSON.stringify({ token, user: { pk: 1, email, language: 'en', page_size: 10 } }),
  )
}
