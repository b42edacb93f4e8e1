import { defineCommand } from '../command'
import { portOption, serve } from './serve'

export const demoCommand = defineCommand({
  name: 'demo',
  synopsis: 'demo [--port N]',
  description: 'Browser mode on the built-in demo dataset (generated on first use)',
  options: { port: portOption },
  run: (_args, values, ctx) => serve('demo', values.port, ctx),
})
