import { cases } from './cases/limits'
import { runCorpus } from './corpus'

runCorpus('bad-input corpus: unbounded reads, BOM, limits, export guard (issue 13)', cases)
