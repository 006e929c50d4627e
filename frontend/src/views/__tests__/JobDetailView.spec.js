import { flushPromises } from '@vue/test-utils'
import { afterEach, describe, expect, it, vi } from 'vitest'

import { JOB_ID, jobJson, resultsJson, useStubHttp } from '@/__tests__/support/http.js'
import { mountWithApp } from '@/__tests__/support/mount.js'
import { buttonNamed } from '@/__tests__/support/queries.js'

import JobDetailView from '../JobDetailView.vue'

const server = useStubHttp()

afterEach(() => {
  vi.useRealTimers()
})

describe('JobDetailView', () => {
  it('shows a loading state first', async () => {
    server.on('GET', `jobs/status/${JOB_ID}/`, () => new Promise(() => {}))
    const { wrapper } = mountWithApp(JobDetailView, { props: { jobId: JOB_ID } })
    await flushPromises()
    expect(wrapper.find('[role="status"]').text()).toBe('Loading…')
  })

  it('shows a missing job as an error with a retry', async () => {
    server.on('GET', `jobs/status/${JOB_ID}/`, { status: 404, data: { detail: 'Not found.' } })
    const { wrapper } = mountWithApp(JobDetailView, { props: { jobId: JOB_ID } })
    await flushPromises()
    expect(wrapper.find('[role="alert"]').text()).toContain('Not found.')
    expect(buttonNamed(wrapper, 'Try again').exists()).toBe(true)
  })

  it('shows all result data of a completed job, CSV summaries included', async () => {
    server
      .on('GET', `jobs/status/${JOB_ID}/`, { data: jobJson({ input_filename: 'data.csv' }) })
      .on('GET', `jobs/results/${JOB_ID}/`, {
        data: resultsJson({
          csv: {
            rows: 3,
            columns: 2,
            column_summaries: [
              {
                name: 'price',
                type: 'numeric',
                min: 1.5,
                max: 9,
                mean: 4.25,
                distinct: 3,
                empty: 0,
              },
              {
                name: 'city',
                type: 'text',
                min: null,
                max: null,
                mean: null,
                distinct: 2,
                empty: 1,
              },
            ],
          },
        }),
      })
    const { wrapper } = mountWithApp(JobDetailView, { props: { jobId: JOB_ID } })
    await flushPromises()

    expect(wrapper.find('h2').text()).toBe('Essay')
    expect(wrapper.find('[data-testid="status-badge"]').text()).toContain('Completed')
    expect(wrapper.text()).toContain('data.csv')
    for (const [key, value] of [
      ['results.words', '120'],
      ['results.sentences', '9'],
      ['results.characters', '700'],
      ['results.readingTime', '1 min'],
    ]) {
      expect(wrapper.find(`[data-testid="${key}"]`).text()).toBe(value)
    }
    expect(wrapper.find('[data-testid="top-terms"]').text()).toContain('stone')
    const columns = wrapper.find('[data-testid="csv-columns"]').text()
    expect(columns).toContain('price')
    expect(columns).toContain('4.25')
    expect(columns).toContain('Numbers')
    expect(wrapper.find('[data-testid="results.distinctTerms"]').text()).toBe('80')
    expect(wrapper.find('[data-testid="results.language"]').text()).toBe('English')
    expect(wrapper.text()).toContain('3 rows, 2 columns')
  })

  it('offers the three downloads', async () => {
    window.URL.createObjectURL = vi.fn(() => 'blob:x')
    window.URL.revokeObjectURL = vi.fn()
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => {})
    server
      .on('GET', `jobs/status/${JOB_ID}/`, { data: jobJson() })
      .on('GET', `jobs/results/${JOB_ID}/`, { data: resultsJson() })
      .on('GET', /^jobs\/download/, { data: new Blob(['x']) })
    const { wrapper } = mountWithApp(JobDetailView, { props: { jobId: JOB_ID } })
    await flushPromises()
    for (const label of ['Term frequencies (CSV)', 'Report (Markdown)', 'Everything (ZIP)']) {
      await buttonNamed(wrapper, label).trigger('click')
    }
    await flushPromises()
    expect(
      server.requests.filter((r) => r.url.startsWith('jobs/download')).map((r) => r.url),
    ).toEqual([
      `jobs/download/${JOB_ID}/csv/`,
      `jobs/download/${JOB_ID}/report/`,
      `jobs/download-archive/${JOB_ID}/`,
    ])
  })

  it('offers the downloads the API names, a kind unknown to the catalogs under its name', async () => {
    const files = { report: `/api/v1/jobs/download/${JOB_ID}/report/`, slides: '/api/v1/s/' }
    server
      .on('GET', `jobs/status/${JOB_ID}/`, { data: jobJson() })
      .on('GET', `jobs/results/${JOB_ID}/`, { data: { ...resultsJson(), files } })
    const { wrapper } = mountWithApp(JobDetailView, { props: { jobId: JOB_ID } })
    await flushPromises()
    const buttons = wrapper.findAll('[data-testid="download"]').map((node) => node.text())
    expect(buttons).toEqual(['Report (Markdown)', 'slides'])
  })

  it('shows a failed download as an alert', async () => {
    server
      .on('GET', `jobs/status/${JOB_ID}/`, { data: jobJson() })
      .on('GET', `jobs/results/${JOB_ID}/`, { data: resultsJson() })
      .on('GET', `jobs/download/${JOB_ID}/csv/`, {
        status: 404,
        data: new Blob([JSON.stringify({ detail: 'File is gone.' })]),
      })
    const { wrapper } = mountWithApp(JobDetailView, { props: { jobId: JOB_ID } })
    await flushPromises()
    await buttonNamed(wrapper, 'Term frequencies (CSV)').trigger('click')
    await flushPromises()
    expect(wrapper.find('[role="alert"]').text()).toBe('File is gone.')
  })

  it('keeps polling a running job and loads the results when it completes', async () => {
    vi.useFakeTimers()
    let call = 0
    server
      .on('GET', `jobs/status/${JOB_ID}/`, () => ({
        data: jobJson({ status: call++ < 1 ? 'processing' : 'completed' }),
      }))
      .on('GET', `jobs/results/${JOB_ID}/`, { data: resultsJson() })
    const { wrapper } = mountWithApp(JobDetailView, { props: { jobId: JOB_ID } })
    await flushPromises()
    expect(wrapper.find('[data-testid="status-badge"]').text()).toContain('Processing')
    expect(buttonNamed(wrapper, 'Everything (ZIP)')).toBeUndefined()
    await vi.advanceTimersByTimeAsync(2000)
    await flushPromises()
    expect(wrapper.find('[data-testid="status-badge"]').text()).toContain('Completed')
    expect(wrapper.find('[data-testid="job-results"]').exists()).toBe(true)
  })

  it('shows which phase a running job is in, and the charts once it completed', async () => {
    vi.useFakeTimers()
    const answers = [
      jobJson({ status: 'processing', phase: 'prepare' }),
      jobJson({ status: 'processing', phase: 'analyse' }),
      jobJson(),
    ]
    server
      .on('GET', `jobs/status/${JOB_ID}/`, () => ({ data: answers.shift() ?? jobJson() }))
      .on('GET', `jobs/results/${JOB_ID}/`, { data: resultsJson() })
    const { wrapper } = mountWithApp(JobDetailView, { props: { jobId: JOB_ID } })
    await flushPromises()
    const summary = () => wrapper.find('[data-testid="job-phase-summary"]')
    expect(summary().text()).toBe('Phase 1 of 4: Read the input.')
    await vi.advanceTimersByTimeAsync(2000)
    expect(summary().text()).toBe('Phase 2 of 4: Analyse.')
    await vi.advanceTimersByTimeAsync(2000)
    await flushPromises()
    await vi.dynamicImportSettled()
    expect(wrapper.find('[data-testid="job-phases"]').exists()).toBe(false)
    expect(wrapper.find('[data-testid="terms-chart"] canvas').exists()).toBe(true)
  })

  it('deletes only after confirmation; Escape cancels', async () => {
    server
      .on('GET', `jobs/status/${JOB_ID}/`, {
        data: jobJson({ status: 'failed', error_message: 'Bad CSV.' }),
      })
      .on('DELETE', `jobs/delete/${JOB_ID}/`, { status: 204 })
    const { wrapper } = mountWithApp(JobDetailView, {
      props: { jobId: JOB_ID },
      attachTo: document.body,
    })
    await flushPromises()
    expect(wrapper.find('[role="alert"]').text()).toBe('The analysis failed: Bad CSV.')

    await buttonNamed(wrapper, 'Delete').trigger('click')
    await flushPromises()
    const dialog = wrapper.find('[role="alertdialog"]')
    expect(dialog.text()).toContain('“Essay” and all its files will be removed.')
    expect(document.activeElement.textContent.trim()).toBe('Cancel')
    await dialog.trigger('keydown', { key: 'Escape' })
    expect(wrapper.find('[role="alertdialog"]').exists()).toBe(false)
    expect(server.requestsTo('DELETE', `jobs/delete/${JOB_ID}/`)).toEqual([])

    await buttonNamed(wrapper, 'Delete').trigger('click')
    await flushPromises()
    await buttonNamed(wrapper.find('[role="alertdialog"]'), 'Delete').trigger('click')
    await flushPromises()
    expect(server.requestsTo('DELETE', `jobs/delete/${JOB_ID}/`)).toHaveLength(1)
    expect(wrapper.emitted('deleted')).toEqual([[JOB_ID]])
    wrapper.unmount()
  })

  it('reports a failed delete', async () => {
    server
      .on('GET', `jobs/status/${JOB_ID}/`, { data: jobJson({ status: 'failed' }) })
      .on('DELETE', `jobs/delete/${JOB_ID}/`, { status: 404, data: { detail: 'Not found.' } })
    const { wrapper } = mountWithApp(JobDetailView, { props: { jobId: JOB_ID } })
    await flushPromises()
    await buttonNamed(wrapper, 'Delete').trigger('click')
    await buttonNamed(wrapper.find('[role="alertdialog"]'), 'Delete').trigger('click')
    await flushPromises()
    expect(wrapper.findAll('[role="alert"]').at(-1).text()).toBe('Not found.')
    expect(wrapper.emitted('deleted')).toBeUndefined()
  })

  it('goes back to the list', async () => {
    server
      .on('GET', `jobs/status/${JOB_ID}/`, { data: jobJson() })
      .on('GET', `jobs/results/${JOB_ID}/`, {
        data: resultsJson().data,
      })
    const { wrapper } = mountWithApp(JobDetailView, { props: { jobId: JOB_ID } })
    await flushPromises()
    await buttonNamed(wrapper, '← Back to the list').trigger('click')
    expect(wrapper.emitted('back')).toHaveLength(1)
  })
})
