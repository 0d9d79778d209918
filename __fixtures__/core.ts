/**
 * A typed fake of the parts of @actions/core the action uses, for `jest.unstable_mockModule('@actions/core', …)`.
 * Every function is a jest mock with the real signature; what would reach the runner's log is also kept as one
 * transcript in the runner's own notation (`::group::`, `::error::`, …), so a test reads the log as a user would.
 * Inputs come from a table (`setInputs`), the summary is kept in memory, state in a map.
 */
import type * as core from '@actions/core'
import { jest } from '@jest/globals'

type Props = core.AnnotationProperties

/** The step log, line by line, as the runner would print it (before masking). */
export const transcript: string[] = []
/** What each `saveState` left, by name. */
export const state = new Map<string, string>()
/** The job summary as written, one entry per `write()`. */
export const written: string[] = []
let inputs: Record<string, string> = {}
let debugOn = false
let summaryBuffer = ''

/** The inputs `getInput` answers from (by action.yml name); anything else is empty, as on the runner. */
export function setInputs(values: Record<string, string>): void {
  inputs = { ...values }
}

/** Step debugging on or off (`isDebug`). */
export function setDebug(on: boolean): void {
  debugOn = on
}

function annotationLine(kind: string, message: string | Error, props?: Props): string {
  const text = message instanceof Error ? message.message : message
  const fields = Object.entries(props ?? {})
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${String(v)}`)
  return `::${kind}${fields.length ? ` ${fields.join(',')}` : ''}::${text}`
}

export const getInput = jest.fn<typeof core.getInput>((name, options) => {
  const raw = inputs[name] ?? ''
  if (options?.required && raw === '') throw new Error(`Input required and not supplied: ${name}`)
  return options?.trimWhitespace === false ? raw : raw.trim()
})
export const getMultilineInput = jest.fn<typeof core.getMultilineInput>((name, options) =>
  getInput(name, options)
    .split('\n')
    .filter((l) => l !== '')
)
export const getBooleanInput = jest.fn<typeof core.getBooleanInput>((name, options) => {
  const v = getInput(name, options)
  if (['true', 'True', 'TRUE'].includes(v)) return true
  if (['false', 'False', 'FALSE'].includes(v)) return false
  throw new TypeError(`Input does not meet YAML 1.2 "Core Schema" specification: ${name}`)
})
export const setOutput = jest.fn<typeof core.setOutput>()
export const setFailed = jest.fn<typeof core.setFailed>((message) => {
  transcript.push(annotationLine('error', message))
})
export const isDebug = jest.fn<typeof core.isDebug>(() => debugOn)
export const debug = jest.fn<typeof core.debug>((message) => {
  transcript.push(`::debug::${message}`)
})
export const info = jest.fn<typeof core.info>((message) => {
  transcript.push(message)
})
export const warning = jest.fn<typeof core.warning>((message, props) => {
  transcript.push(annotationLine('warning', message, props))
})
export const error = jest.fn<typeof core.error>((message, props) => {
  transcript.push(annotationLine('error', message, props))
})
export const notice = jest.fn<typeof core.notice>((message, props) => {
  transcript.push(annotationLine('notice', message, props))
})
export const startGroup = jest.fn<typeof core.startGroup>((name) => {
  transcript.push(`::group::${name}`)
})
export const endGroup = jest.fn<typeof core.endGroup>(() => {
  transcript.push('::endgroup::')
})
/** As the library does it: startGroup, the work, endGroup even when the work throws. */
export const group = jest.fn(async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
  startGroup(name)
  try {
    return await fn()
  } finally {
    endGroup()
  }
}) as jest.Mock<typeof core.group> & typeof core.group
export const setSecret = jest.fn<typeof core.setSecret>()
export const saveState = jest.fn<typeof core.saveState>((name, value) => {
  state.set(name, typeof value === 'string' ? value : JSON.stringify(value))
})
export const getState = jest.fn<typeof core.getState>((name) => state.get(name) ?? '')
export const exportVariable = jest.fn<typeof core.exportVariable>()

/** The job summary: `addRaw` collects, `write` appends what was collected to `written`. */
export const summary = {
  addRaw: jest.fn((text: string, addEOL = false) => {
    summaryBuffer += text + (addEOL ? '\n' : '')
    return summary
  }),
  write: jest.fn(async () => {
    written.push(summaryBuffer)
    summaryBuffer = ''
    return summary
  }),
  stringify: jest.fn(() => summaryBuffer),
  isEmptyBuffer: jest.fn(() => summaryBuffer.length === 0),
  emptyBuffer: jest.fn(() => {
    summaryBuffer = ''
    return summary
  })
}

const mocks = [
  getInput,
  getMultilineInput,
  getBooleanInput,
  setOutput,
  setFailed,
  isDebug,
  debug,
  info,
  warning,
  error,
  notice,
  startGroup,
  endGroup,
  group,
  setSecret,
  saveState,
  getState,
  exportVariable,
  ...Object.values(summary)
]

/** Forgets every call, the transcript, the state, the summary and the inputs (before each test). */
export function reset(): void {
  for (const m of mocks) m.mockClear()
  transcript.length = 0
  written.length = 0
  state.clear()
  inputs = {}
  debugOn = false
  summaryBuffer = ''
}

/** Every call that writes to the log, with jest's invocation order (comparable with any other mock's). */
export function logCalls(): { order: number; text: string }[] {
  const writers = [info, debug, warning, error, notice, startGroup, setFailed] as jest.Mock<(message: string | Error) => void>[]
  return writers
    .flatMap((m) =>
      m.mock.calls.map(([message], i) => ({ order: m.mock.invocationCallOrder[i], text: message instanceof Error ? message.message : String(message) }))
    )
    .sort((a, b) => a.order - b.order)
}

/** The outputs set so far, by name (the last value of each). */
export function outputs(): Record<string, string> {
  return Object.fromEntries(setOutput.mock.calls.map(([name, value]) => [name, String(value)]))
}
