/** A Dockerfile, or the target asked of it, that cannot be built: reported before any build starts. */
export class DockerfileError extends Error {
  /** The Dockerfile concerned. */
  readonly file: string
  /** 1-based line, when one instruction is at fault. */
  readonly line?: number
  /** The input at fault when it is not the file but a value asked of it (`target`). */
  readonly input?: string

  constructor(message: string, file: string, line?: number, input?: string) {
    super(message)
    this.name = 'DockerfileError'
    this.file = file
    this.line = line
    if (input !== undefined) this.input = input
  }
}
