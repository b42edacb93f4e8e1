import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # models/viva on the path -> `import viva`

import torch  # noqa: E402

torch.set_num_threads(2)
