import { cases } from './cases/imports'
import { runCorpus } from './corpus'

runCorpus('bad-input corpus: annotation and curve imports', cases)
