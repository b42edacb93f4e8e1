import { cases } from './cases/infoJson'
import { runCorpus } from './corpus'

runCorpus('bad-input corpus: info.json', cases)
