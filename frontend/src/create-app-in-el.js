// Mounts a Vue app into an element that a Django page placed, with vue-i18n and a Pinia of its
// own; a page without that element gets no app, so one bundle can serve pages that differ.
import { createPinia } from 'pinia'
import piniaPluginPersistedstate from 'pinia-plugin-persistedstate'
import { createApp, watch } from 'vue'

import { i18n as sharedI18n } from '@/i18n.js'
import api, { normalizeSettings } from '@/rest/rest.js'
import { useAuthStore } from '@/stores/auth.js'
import { useSettingsStore } from '@/stores/settings.js'

export function createAppInEl(component, selector, { i18n = sharedI18n, doc = document } = {}) {
  const mountTarget = doc.querySelector(selector)
  if (!mountTarget) return null

  const app = createApp(component)
  app.use(i18n)

  const pinia = createPinia()
  pinia.use(piniaPluginPersistedstate)
  app.use(pinia)

  connectStores(pinia, i18n, doc)

  app.mount(mountTarget)
  return app
}

function connectStores(pinia, i18n, doc) {
  const settings = useSettingsStore(pinia)
  watch(
    () => settings.language,
    (language) => {
      i18n.global.locale.value = language
      api.setLanguage(language)
      doc.documentElement.lang = language
    },
    { immediate: true },
  )

  const auth = useAuthStore(pinia)
  api.onUnauthorized(() => auth.logout())
  // The user object carries the server's copy of the settings: apply it whenever a fresh one
  // arrives (login, and the check after a reload).
  watch(
    () => auth.user,
    (user) => {
      if (user) settings.apply(normalizeSettings(user))
    },
  )
  auth.initialize()
}
