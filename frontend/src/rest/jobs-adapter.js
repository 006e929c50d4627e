// The jobs API adapter: the one place that knows the jobs API's field names (backend/jobs
// serializers). Views only see the shapes returned here, so a renamed field is fixed in this
// file alone.

export const JOB_STATUSES = Object.freeze(['pending', 'processing', 'completed', 'failed'])
export const FINISHED_STATUSES = Object.freeze(['completed', 'failed'])
// The worker's four phases, in order (backend/jobs/services.py, job_process).
export const JOB_PHASES = Object.freeze(['prepare', 'analyse', 'save', 'cleanup'])
export const JOB_LANGUAGES = Object.freeze(['en', 'de'])
export const TOP_N_LIMITS = Object.freeze({ min: 1, max: 100, default: 10 })
export const ACCEPTED_FILE_TYPES = '.txt,.md,.csv'

// The create endpoint takes JSON for text and multipart for a file; multipart cannot nest,
// so the options travel as a JSON string there.
export function jobRequestBody({ title, text, file, language, topN }) {
  const options = { language, top_n: topN }
  if (file) {
    const form = new FormData()
    form.append('title', title)
    form.append('file', file)
    form.append('options', JSON.stringify(options))
    return form
  }
  return { title, text, options }
}

export function normalizeJob(raw) {
  return {
    id: raw.id,
    title: raw.title ?? '',
    status: raw.status,
    // Which of JOB_PHASES a processing job is in; null when the answer names none (the status
    // endpoint does not send `phase` yet) or one this client does not know.
    phase: JOB_PHASES.includes(raw.phase) ? raw.phase : null,
    errorMessage: raw.error_message ?? '',
    // Only the list carries the uploaded file's name.
    inputName: raw.input_filename ?? '',
    createdAt: raw.created_at ?? null,
    startedAt: raw.started_at ?? null,
    finishedAt: raw.finished_at ?? null,
  }
}

export function normalizePage(raw) {
  return {
    count: raw.count,
    hasNext: Boolean(raw.next),
    hasPrevious: Boolean(raw.previous),
    results: raw.results.map(normalizeJob),
  }
}

function normalizeColumnSummary(summary) {
  return {
    name: summary.name,
    type: summary.type,
    min: summary.min ?? null,
    max: summary.max ?? null,
    mean: summary.mean ?? null,
    distinct: summary.distinct ?? null,
    empty: summary.empty ?? 0,
  }
}

// GET jobs/results/<id>/ answers {id, title, status, data: {...}, files}.
export function normalizeResults(raw) {
  const data = raw.data
  return {
    // `files` names each output kind with its download link, so the offered downloads follow
    // the backend's own table of outputs.
    downloads: Object.entries(raw.files ?? {}).map(([kind, url]) => ({ kind, url })),
    language: data.language ?? '',
    wordCount: data.word_count,
    sentenceCount: data.sentence_count,
    charCount: data.char_count,
    readingTimeMinutes: data.reading_time_minutes,
    distinctTerms: data.distinct_terms ?? null,
    topTerms: data.top_terms.map(({ term, count }) => ({ term, count })),
    csv: data.csv
      ? {
          rows: data.csv.rows,
          columns: data.csv.columns,
          columnSummaries: data.csv.column_summaries.map(normalizeColumnSummary),
        }
      : null,
  }
}
