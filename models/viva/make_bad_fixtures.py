#!/usr/bin/python3
"""Broken model packages for the runtime's error-path tests (main/inference/badModels.test.ts).

Regenerate (from the repository root; needs only Debian's python3-onnx, no torch):

    /usr/bin/python3 models/viva/make_bad_fixtures.py            # writes main/inference/fixtures/
    /usr/bin/python3 models/viva/make_bad_fixtures.py --out DIR  # somewhere else

The output is deterministic (fixed names, no timestamps), so regenerating leaves the committed files unchanged
unless this script changed. Each package is a tiny `direct` model (1 camera of 8 x 8 pixels, 2-dimensional state)
with a manifest whose sha256/bytes match the .onnx file, so `loadModelPackage` accepts it and the failure happens
where the test expects it:

  nan-value/        value = Div(z, z) with z = 0 * (mean(images) + mean(state) + task_id): the graph loads, its IO
                    matches the manifest, and every prediction is NaN  -> runner.predict rejects with MODEL_FAILED.
  shape-mismatch/   the graph's `state` input is [batch, 3] while the manifest (and state.dim) say [batch, 2]; the
                    value itself is finite (sigmoid)                   -> DirectRunner.open rejects with MODEL_INVALID.

(An .onnx file that is not an ONNX graph at all is made by the test itself from random bytes.)
"""
import argparse
import hashlib
import json
import os

import onnx
from onnx import TensorProto, helper

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, '..', '..'))
DEFAULT_OUT = os.path.join(REPO, 'main', 'inference', 'fixtures')

CAMERAS = 1
SIZE = 8
STATE_DIM = 2
MODEL_FILE = 'model.onnx'


def build_graph(name, state_dim, nan):
    """images [B,1,3,8,8], state [B,state_dim], task_id [B] -> value [B] (NaN when `nan`, else in (0, 1))."""
    images = helper.make_tensor_value_info('images', TensorProto.FLOAT, ['batch', CAMERAS, 3, SIZE, SIZE])
    state = helper.make_tensor_value_info('state', TensorProto.FLOAT, ['batch', state_dim])
    task = helper.make_tensor_value_info('task_id', TensorProto.INT64, ['batch'])
    value = helper.make_tensor_value_info('value', TensorProto.FLOAT, ['batch'])
    nodes = [
        helper.make_node('ReduceMean', ['images'], ['img_mean'], axes=[1, 2, 3, 4], keepdims=0),
        helper.make_node('ReduceMean', ['state'], ['state_mean'], axes=[1], keepdims=0),
        helper.make_node('Cast', ['task_id'], ['task_f'], to=TensorProto.FLOAT),
        helper.make_node('Sum', ['img_mean', 'state_mean', 'task_f'], ['s']),
    ]
    inits = []
    if nan:
        # 0/0 of a data-dependent tensor: not constant-folded away, NaN for every row whatever the inputs.
        inits.append(helper.make_tensor('zero', TensorProto.FLOAT, [], [0.0]))
        nodes += [
            helper.make_node('Mul', ['s', 'zero'], ['z']),
            helper.make_node('Div', ['z', 'z'], ['value']),
        ]
    else:
        nodes.append(helper.make_node('Sigmoid', ['s'], ['value']))
    graph = helper.make_graph(nodes, name, [images, state, task], [value], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 17)], producer_name='viva make_bad_fixtures.py')
    onnx.checker.check_model(model, full_check=True)
    return model


def manifest(name, data, description):
    return {
        'schema_version': 1,
        'kind': 'direct',
        'name': name,
        'created': '2026-01-01T00:00:00Z',
        'description': description,
        'framework': {'exporter': 'models/viva/make_bad_fixtures.py', 'opset': 17},
        'files': {
            'model': {
                'path': MODEL_FILE,
                'sha256': hashlib.sha256(data).hexdigest(),
                'bytes': len(data),
                'inputs': [
                    {'name': 'images', 'shape': ['batch', CAMERAS, 3, SIZE, SIZE], 'dtype': 'float32'},
                    {'name': 'state', 'shape': ['batch', STATE_DIM], 'dtype': 'float32'},
                    {'name': 'task_id', 'shape': ['batch'], 'dtype': 'int64'},
                ],
                'outputs': [{'name': 'value', 'shape': ['batch'], 'dtype': 'float32'}],
            },
        },
        'cameras': [{'slot': 0, 'name': 'cam_high', 'frame_index': 2}],
        'image': {
            'height': SIZE,
            'width': SIZE,
            'channels': 3,
            'layout': 'NCHW',
            'channel_order': 'RGB',
            'dtype': 'float32',
            'normalization': {'scale': 1 / 127.5, 'offset': -1.0, 'formula': 'x / 127.5 - 1'},
            'resize': 'ffmpeg scale=WxH:flags=area, full frame, no crop, aspect not preserved',
            'scale_filter': 'area',
        },
        'state': {
            'dim': STATE_DIM,
            'names': ['joint_a', 'joint_b'],
            'min': [-1.0, -1.0],
            'max': [1.0, 1.0],
            'normalization': {'formula': '(clamp(s, min, max) - min) / (max - min + eps) * 2 - 1', 'eps': 1e-8},
        },
        'K': 10,
        'fps': 10,
        'horizon_s': 1.0,
        'value': {'convention': 'progress', 'range': [0, 1], 'higher_is_better': True},
        'tasks': {'test task': 0},
        'task_input': 'task_id int64; unknown task -> 0',
    }


def write_package(out, name, model, description):
    folder = os.path.join(out, name)
    os.makedirs(folder, exist_ok=True)
    data = model.SerializeToString()
    with open(os.path.join(folder, MODEL_FILE), 'wb') as f:
        f.write(data)
    with open(os.path.join(folder, 'viva-model.json'), 'w', encoding='utf-8') as f:
        f.write(json.dumps(manifest(name, data, description), indent=2) + '\n')
    print(f'wrote {folder} ({len(data)} bytes of ONNX)')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', default=DEFAULT_OUT, help=f'output folder (default {DEFAULT_OUT})')
    args = parser.parse_args()
    write_package(args.out, 'nan-value', build_graph('nan_value', STATE_DIM, nan=True),
                  'Test fixture: every value is NaN (0/0).')
    write_package(args.out, 'shape-mismatch', build_graph('shape_mismatch', 3, nan=False),
                  'Test fixture: the graph input "state" is [batch, 3], the manifest says [batch, 2].')


if __name__ == '__main__':
    main()
