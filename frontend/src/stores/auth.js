// The session: the token (dj-rest-auth) and user, kept in localStorage so a reload stays
// signed in. pinia-plugin-persistedstate 4 names its options `pick` and `afterHydrate`
// (`paths` and `afterRestore` before).
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'

import { extractErrorMessage } from '@/rest/errors.js'
import api from '@/rest/rest.js'

export const useAuthStore = defineStore(
  'auth',
  () => {
    const user = ref(null)
    const token = ref(null)
    const isLoading = ref(false)
    const error = ref(null)
    const isAuthenticated = computed(() => !!token.value)
    const username = computed(() => user.value?.username || user.value?.email || '')

    async function login(credentials) {
      isLoading.value = true
      error.value = null
      try {
        const response = await api.login(credentials)
        token.value = response.data.key
        api.setAuthHeader(token.value)
        await fetchUser()
      } catch (err) {
        error.value = extractErrorMessage(err)
        throw err
      } finally {
        isLoading.value = false
      }
    }

    async function logout() {
      try {
        await api.logout()
      } catch {
        // The token is dropped locally either way.
      }
      token.value = null
      user.value = null
      api.unsetAuthHeader()
    }

    async function fetchUser() {
      const response = await api.getUserData()
      user.value = response.data
    }

    function initialize() {
      // A token restored from localStorage may have been revoked meanwhile: check it.
      if (token.value) {
        api.setAuthHeader(token.value)
        fetchUser().catch(() => logout())
      }
    }

    function clearError() {
      error.value = null
    }

    return {
      user,
      token,
      isLoading,
      error,
      isAuthenticated,
      username,
      login,
      logout,
      fetchUser,
      initialize,
      clearError,
    }
  },
  {
    persist: {
      key: 'auth',
      pick: ['token', 'user'],
      afterHydrate: (ctx) => {
        // The header lives in the axios instance, which a reload starts without.
        if (ctx.store.token) {
          api.setAuthHeader(ctx.store.token)
        }
      },
    },
  },
)
