// The user's UI settings. Kept in localStorage so the language holds before login and across
// reloads; the server copy (/api/v1/settings/) wins once the user is known.
import { defineStore } from 'pinia'
import { ref } from 'vue'

import { SUPPORTED_LANGUAGES } from '@/i18n.js'
import api from '@/rest/rest.js'

export const PAGE_SIZES = Object.freeze([5, 10, 20, 50, 100])
const DEFAULT_PAGE_SIZE = 10

function preferredLanguage() {
  const browser = globalThis.navigator?.language?.slice(0, 2)
  return SUPPORTED_LANGUAGES.includes(browser) ? browser : SUPPORTED_LANGUAGES[0]
}

export const useSettingsStore = defineStore(
  'settings',
  () => {
    const language = ref(preferredLanguage())
    const pageSize = ref(DEFAULT_PAGE_SIZE)

    function apply(values) {
      if (SUPPORTED_LANGUAGES.includes(values.language)) language.value = values.language
      if (Number.isInteger(values.pageSize) && values.pageSize > 0) pageSize.value = values.pageSize
    }

    async function load() {
      apply(await api.getSettings())
    }

    async function save(values) {
      apply(await api.updateSettings(values))
    }

    return { language, pageSize, apply, load, save }
  },
  { persist: { key: 'settings', pick: ['language', 'pageSize'] } },
)
