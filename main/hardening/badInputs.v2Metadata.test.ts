import { cases } from './cases/v2Metadata'
import { runCorpus } from './corpus'

runCorpus('bad-input corpus: v2 metadata and episode tables', cases)
