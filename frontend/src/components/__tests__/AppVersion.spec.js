import { flushPromises } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'

import { useStubHttp } from '@/__tests__/support/http.js'
import { mountWithApp } from '@/__tests__/support/mount.js'

import AppVersion from '../AppVersion.vue'

const server = useStubHttp()

describe('AppVersion', () => {
  it('shows a loading state', () => {
    server.on('GET', 'version-info/', () => new Promise(() => {}))
    const { wrapper } = mountWithApp(AppVersion)
    expect(wrapper.text()).toBe('Loading version…')
  })

  it('shows version, environment and short revision', async () => {
    server.on('GET', 'version-info/', {
      data: { version: '1.2.3', environment: 'production', git_revision: '0123456789abcdef' },
    })
    const { wrapper } = mountWithApp(AppVersion)
    await flushPromises()
    const parts = wrapper.findAll('span span').map((part) => part.text())
    expect(parts).toEqual(['Version 1.2.3', 'production', '01234567'])
  })

  it('leaves out a revision that is not known', async () => {
    server.on('GET', 'version-info/', {
      data: { version: 'development', environment: 'development', git_revision: null },
    })
    const { wrapper } = mountWithApp(AppVersion, { locale: 'de' })
    await flushPromises()
    const parts = wrapper.findAll('span span').map((part) => part.text())
    expect(parts).toEqual(['Version development', 'development'])
  })

  it('says when the version cannot be read', async () => {
    server.on('GET', 'version-info/', { status: 500, data: '' })
    const { wrapper } = mountWithApp(AppVersion)
    await flushPromises()
    expect(wrapper.text()).toBe('Version unknown')
  })
})
