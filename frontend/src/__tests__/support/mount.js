import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import piniaPluginPersistedstate from 'pinia-plugin-persistedstate'

import { createAppI18n } from '@/i18n.js'

// Mounts with the app's real plugins: Pinia with persistence (localStorage) and vue-i18n.
export function mountWithApp(component, { props = {}, locale = 'en', attachTo } = {}) {
  const pinia = createPinia()
  pinia.use(piniaPluginPersistedstate)
  setActivePinia(pinia)
  const i18n = createAppI18n(locale)
  const wrapper = mount(component, { props, attachTo, global: { plugins: [pinia, i18n] } })
  return { wrapper, pinia, i18n }
}

// A signed-in session as a reload would find it in localStorage.
export function storeSession({ token = 'tok123', email = 'ada@example.com' } = {}) {
  localStorage.setItem(
    'auth',
    JSON.stringify({ token, user: { pk: 1, email, language: 'en', page_size: 10 } }),
  )
}
