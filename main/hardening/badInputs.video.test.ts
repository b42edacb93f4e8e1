import { cases } from './cases/video'
import { runCorpus } from './corpus'

runCorpus('bad-input corpus: video files, names and paths', cases)
