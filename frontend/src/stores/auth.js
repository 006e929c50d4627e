// Seed section 22, as written there. pinia-plugin-persistedstate 4 renamed two options:
// `paths` is now `pick`, and `afterRestore` is now `afterHydrate`.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'

import { extractErrorMessage } from '@/rest/errors.js'
import api from '@/rest/rest.js'

export const useAuthStore = defineStore(
  'auth',
  () => {
    // STATE
    const user = ref(null)
    const token = ref(null)
    const isLoading = ref(false)
    const error = ref(null)

    // COMPUTED (Getters)
    const isAuthenticated = computed(() => !!token.value)
    const username = computed(() => user.value?.username || user.value?.email || '')

    // ACTIONS
    async function login(credentials) {
      isLoading.value = true
      error.value = null
      try {
        const response = await api.login(credentials)
        token.value = response.data.key // Token from dj-rest-auth
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
        await api.logout() // Optional - continue even if it fails
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
      // Called on app mount: the token came back from localStorage.
      if (token.value) {
        api.setAuthHeader(token.value)
        fetchUser().catch(() => logout()) // Invalid token -> logout
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
        // Restore the auth header after a page reload.
        if (ctx.store.token) {
          api.setAuthHeader(ctx.store.token)
        }
      },
    },
  },
)
