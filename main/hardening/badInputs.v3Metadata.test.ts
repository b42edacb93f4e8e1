import { cases } from './cases/v3Metadata'
import { runCorpus } from './corpus'

runCorpus('bad-input corpus: v3 metadata and video windows', cases)
