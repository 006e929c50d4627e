import { flushPromises } from '@vue/test-utils'
import { afterEach, describe, expect, it } from 'vitest'

import { useStubHttp } from '@/__tests__/support/http.js'
import { freshPinia } from '@/__tests__/support/mount.js'
import api, { http } from '@/rest/rest.js'

import { useAuthStore } from '../auth.js'

const server = useStubHttp()

function freshStore() {
  freshPinia()
  return useAuthStore()
}

const USER = { pk: 1, email: 'ada@example.com', language: 'en', page_size: 10 }

afterEach(() => {
  api.unsetAuthHeader()
})

describe('login', () => {
  it('keeps the token, sets the header, loads the user and persists both', async () => {
    server
      .on('POST', 'auth/login/', { data: { key: 'tok1' } })
      .on('GET', 'auth/user/', { data: USER })
    const auth = freshStore()
    await auth.login({ email: USER.email, password: 'pw' })

    expect(auth.isAuthenticated).toBe(true)
    expect(auth.username).toBe('ada@example.com')
    expect(server.requestsTo('GET', 'auth/user/')[0].headers.Authorization).toBe('Token tok1')
    expect(JSON.parse(localStorage.getItem('auth'))).toEqual({ token: 'tok1', user: USER })
  })

  it('stores the error message, rethrows, and stays signed out', async () => {
    server.on('POST', 'auth/login/', {
      status: 400,
      data: { non_field_errors: ['Unable to log in with provided credentials.'] },
    })
    const auth = freshStore()
    await expect(auth.login({ email: 'a@example.com', password: 'bad' })).rejects.toBeTruthy()
    expect(auth.error).toBe('Unable to log in with provided credentials.')
    expect(auth.isAuthenticated).toBe(false)
    expect(auth.isLoading).toBe(false)
    auth.clearError()
    expect(auth.error).toBeNull()
  })

  it('does not persist the loading flag or the error', async () => {
    server.on('POST', 'auth/login/', { status: 400, data: { detail: 'nope' } })
    const auth = freshStore()
    await auth.login({ email: 'a@example.com', password: 'x' }).catch(() => {})
    expect(JSON.parse(localStorage.getItem('auth'))).toEqual({ token: null, user: null })
  })
})

describe('logout', () => {
  it('forgets the session even when the server call fails', async () => {
    server.on('POST', 'auth/logout/', 'network-error')
    localStorage.setItem('auth', JSON.stringify({ token: 'tok1', user: USER }))
    const auth = freshStore()
    await auth.logout()
    expect(auth.token).toBeNull()
    expect(auth.user).toBeNull()
    expect(http.defaults.headers.common.Authorization).toBeUndefined()
    expect(JSON.parse(localStorage.getItem('auth')).token).toBeNull()
  })
})

describe('after a reload', () => {
  it('restores the header from the persisted token', () => {
    localStorage.setItem('auth', JSON.stringify({ token: 'tok2', user: USER }))
    const auth = freshStore()
    expect(auth.isAuthenticated).toBe(true)
    expect(http.defaults.headers.common.Authorization).toBe('Token tok2')
  })

  it('keeps a valid session and refreshes the user', async () => {
    server.on('GET', 'auth/user/', { data: { ...USER, first_name: 'Ada' } })
    localStorage.setItem('auth', JSON.stringify({ token: 'tok2', user: USER }))
    const auth = freshStore()
    auth.initialize()
    await flushPromises()
    expect(auth.isAuthenticated).toBe(true)
    expect(auth.user.first_name).toBe('Ada')
  })

  it('logs out when the token is no longer valid', async () => {
    server
      .on('GET', 'auth/user/', { status: 401, data: { detail: 'Invalid token.' } })
      .on('POST', 'auth/logout/', { data: {} })
    localStorage.setItem('auth', JSON.stringify({ token: 'revoked', user: USER }))
    const auth = freshStore()
    auth.initialize()
    await flushPromises()
    expect(auth.isAuthenticated).toBe(false)
    expect(JSON.parse(localStorage.getItem('auth'))).toEqual({ token: null, user: null })
  })

  it('does nothing without a token', () => {
    const auth = freshStore()
    auth.initialize()
    expect(server.requests).toEqual([])
    expect(auth.isAuthenticated).toBe(false)
  })
})
