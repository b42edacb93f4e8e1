import { COMMANDS } from './commands'
import { runCli } from './run'

runCli(process.argv.slice(2), COMMANDS).then(
  (code) => {
    if (code >= 0) process.exitCode = code
  },
  (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err)
    process.stderr.write(`viva: ${message}\n`)
    process.exitCode = 1
  },
)
