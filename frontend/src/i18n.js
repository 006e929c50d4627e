import { createI18n } from 'vue-i18n'

// src/locales/<language>.json, compiled at build time (build-plugins/vue-i18n.js).
import de from 'virtual:i18n-messages/de'
import en from 'virtual:i18n-messages/en'

export const SUPPORTED_LANGUAGES = Object.freeze(['en', 'de'])
export const messages = Object.freeze({ en, de })

export function createAppI18n(locale = SUPPORTED_LANGUAGES[0]) {
  return createI18n({
    legacy: false,
    locale,
    fallbackLocale: SUPPORTED_LANGUAGES[0],
    messages,
  })
}

// One instance for every mounted app, so a language switch reaches all of them.
export const i18n = createAppI18n()
