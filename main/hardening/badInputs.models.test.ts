import { cases } from './cases/models'
import { runCorpus } from './corpus'

runCorpus('bad-input corpus: model packages', cases)
