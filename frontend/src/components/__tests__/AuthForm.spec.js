import { flushPromises } from '@vue/test-utils'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { nextTick } from 'vue'

import { useStubHttp } from '@/__tests__/support/http.js'
import { mountWithApp } from '@/__tests__/support/mount.js'
import { buttonNamed, field } from '@/__tests__/support/queries.js'
import api from '@/rest/rest.js'
import { useAuthStore } from '@/stores/auth.js'

import AuthForm from '../AuthForm.vue'

const server = useStubHttp()

function errorFor(wrapper, label) {
  const describedBy = field(wrapper, label).attributes('aria-describedby')
  return describedBy ? wrapper.find(`#${describedBy}`).text() : null
}

async function clickButton(wrapper, text) {
  await buttonNamed(wrapper, text).trigger('click')
}

beforeEach(() => {
  window.history.replaceState(null, '', '/')
})

afterEach(() => {
  api.unsetAuthHeader()
})

describe('login', () => {
  it('signs in and shows who is signed in', async () => {
    server
      .on('POST', 'auth/login/', { data: { key: 'k' } })
      .on('GET', 'auth/user/', { data: { pk: 1, email: 'ada@example.com' } })
    const { wrapper } = mountWithApp(AuthForm)
    await field(wrapper, 'Email').setValue('ada@example.com')
    await field(wrapper, 'Password').setValue('secret-pass')
    await wrapper.find('form').trigger('submit')
    await flushPromises()

    expect(server.requests[0].data).toEqual({ email: 'ada@example.com', password: 'secret-pass' })
    expect(useAuthStore().isAuthenticated).toBe(true)
    expect(wrapper.text()).toContain('Signed in as ada@example.com.')
  })

  it('disables the button while signing in', async () => {
    let release
    server.on('POST', 'auth/login/', () => new Promise((resolve) => (release = resolve)))
    const { wrapper } = mountWithApp(AuthForm)
    await wrapper.find('form').trigger('submit')
    const button = wrapper.find('button[type="submit"]')
    expect(button.attributes('disabled')).toBeDefined()
    expect(button.text()).toBe('Please wait…')
    release({ status: 400, data: { detail: 'x' } })
    await flushPromises()
    expect(button.attributes('disabled')).toBeUndefined()
  })

  it('shows a wrong password as an alert', async () => {
    server.on('POST', 'auth/login/', {
      status: 400,
      data: { non_field_errors: ['Unable to log in with provided credentials.'] },
    })
    const { wrapper } = mountWithApp(AuthForm)
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(wrapper.find('[role="alert"]').text()).toBe(
      'Unable to log in with provided credentials.',
    )
    expect(useAuthStore().isAuthenticated).toBe(false)
  })

  it('puts field errors beside their fields', async () => {
    server.on('POST', 'auth/login/', {
      status: 400,
      data: { email: ['Enter a valid email address.'], password: ['This field is required.'] },
    })
    const { wrapper } = mountWithApp(AuthForm)
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(errorFor(wrapper, 'Email')).toBe('Enter a valid email address.')
    expect(field(wrapper, 'Email').attributes('aria-invalid')).toBe('true')
    expect(errorFor(wrapper, 'Password')).toBe('This field is required.')
    expect(wrapper.find('[role="alert"]').exists()).toBe(false)
  })

  it('says so when the server cannot be reached, in German too', async () => {
    server.on('POST', 'auth/login/', 'network-error')
    const { wrapper } = mountWithApp(AuthForm, { locale: 'de' })
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(wrapper.find('[role="alert"]').text()).toContain('Der Server ist nicht erreichbar')
  })
})

describe('register', () => {
  it('creates the account and asks to confirm the address', async () => {
    server.on('POST', 'auth/registration/', { status: 201, data: { detail: 'sent' } })
    const { wrapper } = mountWithApp(AuthForm)
    await clickButton(wrapper, 'Create an account')
    expect(wrapper.find('h2').text()).toBe('Create an account')
    await field(wrapper, 'Email').setValue('new@example.com')
    await field(wrapper, 'New password').setValue('a-long-password-1')
    await field(wrapper, 'Repeat the password').setValue('a-long-password-1')
    await wrapper.find('form').trigger('submit')
    await flushPromises()

    expect(server.requests[0].data).toEqual({
      email: 'new@example.com',
      password1: 'a-long-password-1',
      password2: 'a-long-password-1',
    })
    expect(wrapper.find('h2').text()).toBe('Sign in')
    expect(wrapper.find('[role="status"]').text()).toContain('new@example.com')
  })

  it('shows password validation beside the password', async () => {
    server.on('POST', 'auth/registration/', {
      status: 400,
      data: { password1: ['This password is too common.'] },
    })
    const { wrapper } = mountWithApp(AuthForm)
    await clickButton(wrapper, 'Create an account')
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(errorFor(wrapper, 'New password')).toBe('This password is too common.')
  })
})

describe('password reset', () => {
  it('requests a link', async () => {
    server.on('POST', 'auth/password/reset/', { data: { detail: 'sent' } })
    const { wrapper } = mountWithApp(AuthForm)
    await clickButton(wrapper, 'Forgot your password?')
    await field(wrapper, 'Email').setValue('ada@example.com')
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(server.requests[0].data).toEqual({ email: 'ada@example.com' })
    expect(wrapper.find('[role="status"]').text()).toContain('reset link')
  })

  it('sets the new password from the mailed link', async () => {
    window.history.replaceState(null, '', '/?reset-uid=MQ&reset-token=abc-123')
    server.on('POST', 'auth/password/reset/confirm/', { data: { detail: 'ok' } })
    const { wrapper } = mountWithApp(AuthForm)
    await flushPromises()
    expect(wrapper.find('h2').text()).toBe('Choose a new password')
    expect(window.location.search).toBe('')
    await field(wrapper, 'New password').setValue('another-long-pass-2')
    await field(wrapper, 'Repeat the password').setValue('another-long-pass-2')
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(server.requests[0].data).toMatchObject({ uid: 'MQ', token: 'abc-123' })
    expect(wrapper.find('h2').text()).toBe('Sign in')
  })

  it('reports an expired link', async () => {
    window.history.replaceState(null, '', '/?reset-uid=MQ&reset-token=old')
    server.on('POST', 'auth/password/reset/confirm/', {
      status: 400,
      data: { token: ['Invalid value'] },
    })
    const { wrapper } = mountWithApp(AuthForm)
    await flushPromises()
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(wrapper.find('[role="alert"]').text()).toBe('Invalid value')
  })
})

describe('email verification link', () => {
  it('posts the key, confirms, and clears the address bar', async () => {
    window.history.replaceState(null, '', '/?verify-email=Mg%3A1abc%3Axyz&other=1')
    server.on('POST', 'auth/registration/verify-email/', { data: { detail: 'ok' } })
    const { wrapper } = mountWithApp(AuthForm)
    await nextTick()
    expect(wrapper.find('[role="status"]').text()).toBe('Confirming your email address…')
    await flushPromises()
    expect(server.requests[0].data).toEqual({ key: 'Mg:1abc:xyz' })
    expect(wrapper.find('[role="status"]').text()).toBe(
      'Your email address is confirmed. You can sign in now.',
    )
    expect(window.location.search).toBe('?other=1')
  })

  it('shows why a bad key failed', async () => {
    window.history.replaceState(null, '', '/?verify-email=bad')
    server.on('POST', 'auth/registration/verify-email/', {
      status: 404,
      data: { detail: 'Not found.' },
    })
    const { wrapper } = mountWithApp(AuthForm)
    await flushPromises()
    expect(wrapper.find('[role="alert"]').text()).toBe('Not found.')
    expect(wrapper.find('[role="status"]').exists()).toBe(false)
  })
})
