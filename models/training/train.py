#!/usr/bin/env python3
"""Trains memegen's own FER2013 expression CNN (on a GPU, or the CPU) and exports it to ONNX.

One command, from the tarball to models/memegen-fer-cnn.onnx (see README.md here):

    python3 models/training/train.py --epochs 120 --variants deep-plain,deep-sqrt-balanced,deep-weighted-loss

Steps (each can be run alone with --step): `sweep` trains the variants of config.json
(network × class balance) at once, one process each; `select` picks one by the rules in
config.json and writes comparison.json; `export` writes the ONNX file, the PyTorch
reference outputs for the equivalence test, the training record and the learning-curve PNG.

Data: the training tarball (read in place, nothing extracted) less every image whose
decoded pixels also appear in the validation folder; the validation folder is scored
less its crops whose pixels appear in the training tarball (the same 3,309 crops as
`memegen eval --exclude-duplicates-of`). Class order: angry, disgust, fear, happy,
sad, surprise, neutral (functions/core/emotions.ts).
"""
import argparse
import base64
import hashlib
import io
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

os.environ.setdefault('OMP_NUM_THREADS', '1')
os.environ.setdefault('MKL_NUM_THREADS', '1')


def keep_freed_memory():
    """glibc serves every allocation above its mmap threshold (at most 32 MB, often far less)
    with fresh pages from the kernel and returns them on free, so each batch's activations
    (28 MB for one conv layer at batch 128) are page-faulted in anew at every step: scoring
    1024 crops in batches of 128 took 2.8 s that way and 1.0 s with them served from the
    heap and kept there for reuse. Other C libraries: nothing to do."""
    import ctypes
    try:
        libc = ctypes.CDLL('libc.so.6')
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    mallopt(m_mmap_threshold, 32 << 20)
    mallopt(m_trim_threshold, 1 << 30)


keep_freed_memory()

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from PIL import Image  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, '..', '..'))
MODELS = os.path.join(ROOT, 'models')
FIXTURES = os.path.join(ROOT, 'test', 'fixtures', 'reference')
ALIASES = {'angry': 'angry', 'disgust': 'disgust', 'fear': 'fear', 'happy': 'happy', 'sad': 'sad',
           'surprise': 'surprise', 'neutral': 'neutral'}


def log(*args):
    print(time.strftime('%H:%M:%S'), *args, flush=True)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            h.update(chunk)
    return h.hexdigest()


def decode_gray(data):
    img = Image.open(io.BytesIO(data))
    img.load()
    if img.mode != 'L':
        img = img.convert('L')
    return np.asarray(img, dtype=np.uint8)


def pixel_key(arr):
    return hashlib.sha256(arr.tobytes() + str(arr.shape).encode()).hexdigest()


# ---------------------------------------------------------------------------- data

def load_data(cfg, tarball, validation):
    classes = cfg['classes']
    log(f'reading {tarball}')
    train_x, train_y, train_names = [], [], []
    found = []
    # Streamed in archive order (seeking back in a .tar.gz re-reads it from the start), then sorted by name.
    with tarfile.open(tarball, 'r|gz') as tar:
        for member in tar:
            if not member.isfile() or not member.name.lower().endswith(('.jpg', '.jpeg', '.png')):
                continue
            parts = member.name.split('/')
            found.append(('/'.join(parts[-2:]), ALIASES[parts[-2]], decode_gray(tar.extractfile(member).read())))
    for name, label, pixels in sorted(found, key=lambda f: f[0]):
        train_x.append(pixels)
        train_y.append(classes.index(label))
        train_names.append(name)
    val_x, val_y, val_names = [], [], []
    for folder in sorted(os.listdir(validation)):
        path = os.path.join(validation, folder)
        if not os.path.isdir(path):
            continue
        label = ALIASES[folder]
        for name in sorted(os.listdir(path)):
            if not name.lower().endswith(('.jpg', '.jpeg', '.png')):
                continue
            with open(os.path.join(path, name), 'rb') as f:
                val_x.append(decode_gray(f.read()))
            val_y.append(classes.index(label))
            val_names.append(f'{folder}/{name}')
    train_keys = [pixel_key(a) for a in train_x]
    val_keys = [pixel_key(a) for a in val_x]
    val_set, train_set = set(val_keys), set(train_keys)
    keep_train = [i for i, k in enumerate(train_keys) if k not in val_set]
    keep_val = [i for i, k in enumerate(val_keys) if k not in train_set]
    dropped_train = [train_names[i] for i, k in enumerate(train_keys) if k in val_set]
    excluded_val = [val_names[i] for i, k in enumerate(val_keys) if k in train_set]
    log(f'train {len(train_x)} images, {len(dropped_train)} dropped as validation duplicates -> {len(keep_train)}; '
        f'validation {len(val_x)}, {len(excluded_val)} excluded as train duplicates -> {len(keep_val)}')

    def stack(xs, idx):
        return torch.from_numpy(np.stack([xs[i] for i in idx]).astype(np.float32)).unsqueeze(1)

    kept_names = [train_names[i] for i in keep_train]
    data = {
        'train_x': stack(train_x, keep_train), 'train_y': torch.tensor([train_y[i] for i in keep_train]),
        'val_x': stack(val_x, keep_val), 'val_y': torch.tensor([val_y[i] for i in keep_val]),
        'info': {
            'tarball': os.path.basename(tarball),
            'tarballSha256': sha256_file(tarball),
            'trainImages': len(train_x),
            'droppedValidationDuplicates': {'count': len(dropped_train), 'names': dropped_train},
            'trainImagesUsed': len(keep_train),
            # sha256 over (name, decoded pixels) of every training image used, in order.
            'trainUsedPixelsSha256': hashlib.sha256(
                b''.join(n.encode() + b'\0' + train_x[i].tobytes() for n, i in zip(kept_names, keep_train))).hexdigest(),
            'trainClassCounts': {c: int(sum(1 for i in keep_train if train_y[i] == k)) for k, c in enumerate(classes)},
            'validation': os.path.basename(os.path.normpath(validation)),
            'validationImages': len(val_x),
            'validationExcludedTrainDuplicates': {'count': len(excluded_val), 'names': excluded_val},
            'validationImagesUsed': len(keep_val),
        },
    }
    if cfg.get('ferplus'):
        data['train_t'], data['info']['ferplus'] = ferplus_targets(cfg, kept_names, data['train_y'])
    if cfg.get('wild'):
        add_wild(cfg, data)
    return data


# FER+ vote columns (votes.csv) in our class order; contempt, unknown and NF are not classes here.
FERPLUS_COLUMNS = {'angry': 'anger', 'disgust': 'disgust', 'fear': 'fear', 'happy': 'happiness', 'sad': 'sadness',
                   'surprise': 'surprise', 'neutral': 'neutral'}


def ferplus_targets(cfg, names, labels):
    """FER+'s ten votes over our seven classes for each training crop, as a distribution
    (single votes dropped as outliers, as FER+'s own loader does). A crop without usable
    votes (not mapped, or its votes all on contempt, unknown or not-a-face) gets its
    FER2013 label. The Trainer mixes these with the FER2013 labels by the variant's
    `fer2013Weight`."""
    fp = cfg['ferplus']
    path = os.path.normpath(os.path.join(ROOT, fp['votes']))
    classes = cfg['classes']
    votes = {}
    with open(path) as f:
        header = f.readline().strip().split(',')
        cols = [header.index(FERPLUS_COLUMNS[c]) for c in classes]
        for line in f:
            cells = line.strip().split(',')
            if cells[0] != 'train':
                continue
            v = np.array([float(cells[i]) for i in cols])
            v[v <= fp['dropVotesAtMost']] = 0
            votes['/'.join(cells[1].split('/')[-2:])] = v
    n = len(names)
    onehot = F.one_hot(labels, len(classes)).float()
    targets = onehot.clone()
    used = 0
    for i, name in enumerate(names):
        v = votes.get(name)
        if v is not None and v.sum() > 0:
            targets[i] = torch.from_numpy(v / v.sum()).float()
            used += 1
    majority = targets.argmax(1)
    info = {'votes': os.path.relpath(path, os.path.join(ROOT, '..')), 'votesSha256': sha256_file(path),
            'cropsWithVotes': used, 'cropsWithoutVotes': n - used, 'dropVotesAtMost': fp['dropVotesAtMost'],
            'agreesWithFer2013': round(float((majority == labels).float().mean()), 4),
            'votesMajorityClassCounts': {c: int((majority == k).sum()) for k, c in enumerate(classes)}}
    log(f'FER+ votes for {used} of {n} training crops')
    return targets, info


def add_wild(cfg, data):
    """expressions-wild crops cut by our detector (models/training/prepare-wild.ts): the
    training people join the training data, the held-apart people are a second validation set."""
    w = cfg['wild']
    folder = os.path.normpath(os.path.join(ROOT, w['crops']))
    with open(os.path.join(folder, 'index.json')) as f:
        index = json.load(f)
    size = index['size']
    pixels = np.fromfile(os.path.join(folder, 'crops.u8'), dtype=np.uint8).reshape(-1, 1, size, size)
    classes = cfg['classes']
    rows = index['images']
    train = [i for i, r in enumerate(rows) if r['split'] == 'train']
    val = [i for i, r in enumerate(rows) if r['split'] == 'validation']
    label = torch.tensor([classes.index(r['label']) for r in rows])
    data['wild_x'] = torch.from_numpy(pixels[train].astype(np.float32))
    data['wild_y'] = label[train]
    # The frame is the middle `frameShare` of each context crop; validation sees it as the runtime would.
    edge = int(round(size * (1 - index['frameShare']) / 2))
    data['wildval_x'] = torch.from_numpy(pixels[val][:, :, edge:size - edge, edge:size - edge].astype(np.float32))
    data['wildval_y'] = label[val]
    data['info']['wild'] = {
        'crops': os.path.relpath(folder, ROOT), 'cropsSha256': sha256_file(os.path.join(folder, 'crops.u8')),
        'contextSize': size, 'frameShare': index['frameShare'], 'framing': index['framing'],
        'detected': index['detected'], 'images': len(rows),
        'trainPictures': len(train), 'trainPeople': len({rows[i]['identity'] for i in train}),
        'trainClassCounts': {c: int((data['wild_y'] == k).sum()) for k, c in enumerate(classes)},
        'validationPictures': len(val), 'validationPeople': len({rows[i]['identity'] for i in val}),
        'validationClassCounts': {c: int((data['wildval_y'] == k).sum()) for k, c in enumerate(classes)},
    }
    log(f'expressions-wild: {len(train)} training pictures, {len(val)} validation pictures (split by person)')


def write_json(path, obj):
    """Indented JSON with every object or list that fits in 200 characters on one line
    (an epoch's history row, a confusion-matrix row), so the records stay readable."""
    def fmt(v, indent):
        compact = json.dumps(v, ensure_ascii=False)
        if not isinstance(v, (dict, list)) or len(compact) + indent <= 200:
            return compact
        pad = ' ' * (indent + 2)
        if isinstance(v, dict):
            items = [f'{pad}{json.dumps(k, ensure_ascii=False)}: {fmt(x, indent + 2)}' for k, x in v.items()]
            return '{\n' + ',\n'.join(items) + '\n' + ' ' * indent + '}'
        return '[\n' + ',\n'.join(pad + fmt(x, indent + 2) for x in v) + '\n' + ' ' * indent + ']'
    with open(path, 'w') as f:
        f.write(fmt(obj, 0) + '\n')


def normalise(pixels, cfg):
    return (pixels - cfg['input']['mean']) * cfg['input']['scale']


# ---------------------------------------------------------------------------- augmentation

def augment(x, a, frame_share=1.0, size=None):
    """x: normalised batch [B,1,H,W] in [-1, 1], on any device. All random draws from torch's global
    generator for that device (seeded by torch.manual_seed). The face frame is the middle
    `frame_share` of each picture (1: the picture is the crop; 0.5: a context crop twice the
    frame, so jitter shows real surroundings); the output is `size` px (default: the input's)."""
    b, dev = x.shape[0], x.device
    size = size or x.shape[2]

    def rand(*shape):
        return torch.rand(*shape, device=dev)

    flip = rand(b) < a['flip']
    x = torch.where(flip[:, None, None, None], x.flip(3), x)
    angle = (rand(b) * 2 - 1) * math.radians(a['rotateDegrees'])
    scale = 1 + (rand(b) * 2 - 1) * a['scale']
    shift = (rand(b, 2) * 2 - 1) * a['shift'] * 2  # affine_grid units: the image spans [-1, 1]
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta * frame_share, [b, 1, size, size], align_corners=False)
    # Border padding repeats edge pixels, as the runtime's crop does outside the picture.
    x = F.grid_sample(x, grid, mode='bilinear', padding_mode='border', align_corners=False)
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    contrast = 1 + (rand(b, 1, 1, 1) * 2 - 1) * a['contrast']
    brightness = (rand(b, 1, 1, 1) * 2 - 1) * a['brightness'] * 2
    x = ((x - mean) * contrast + mean + brightness).clamp(-1, 1)
    x = upload_artefacts(x, a)
    e = a['erase']
    h, w = x.shape[2], x.shape[3]
    area = (e['area'][0] + rand(b) * (e['area'][1] - e['area'][0])) * h * w
    log_ratio = math.log(e['aspect'][0]) + rand(b) * (math.log(e['aspect'][1]) - math.log(e['aspect'][0]))
    ratio = torch.exp(log_ratio)
    eh = torch.sqrt(area * ratio).clamp(1, h - 1)
    ew = torch.sqrt(area / ratio).clamp(1, w - 1)
    y0 = rand(b) * (h - eh)
    x0 = rand(b) * (w - ew)
    ys = torch.arange(h, dtype=torch.float32, device=dev)[None, :, None]
    xs = torch.arange(w, dtype=torch.float32, device=dev)[None, None, :]
    mask = ((ys >= y0[:, None, None]) & (ys < (y0 + eh)[:, None, None]) &
            (xs >= x0[:, None, None]) & (xs < (x0 + ew)[:, None, None]))
    mask = mask & (rand(b) < e['p'])[:, None, None]
    noise = (torch.rand_like(x) * 2 - 1)
    return torch.where(mask[:, None], noise, x)


def upload_artefacts(x, a):
    """What an uploaded photo does to a face, each where config.json `augment` asks for it:
    a small face (`lowRes`: down to `minSide` px and back), focus and motion blur (`blur`:
    Gaussian, sigma in px of the crop), exposure (`gamma`), JPEG compression (`jpeg`:
    8×8 DCT quantised with the JPEG luminance table at a random quality) and sensor
    noise (`noise`: Gaussian, in units of the [-1, 1] range)."""
    b, dev, size = x.shape[0], x.device, x.shape[2]

    def rand(*shape):
        return torch.rand(*shape, device=dev)

    if 'lowRes' in a:
        lr = a['lowRes']
        side = int(lr['minSide'] + rand(()).item() * (size - lr['minSide']))
        small = F.interpolate(F.interpolate(x, size=(side, side), mode='area'), size=(size, size), mode='bilinear',
                              align_corners=False)
        x = torch.where((rand(b) < lr['p'])[:, None, None, None], small, x)
    if 'blur' in a:
        sigma = rand(b) * a['blur']['maxSigma'] * (rand(b) < a['blur']['p'])
        r = 2
        k = torch.arange(-r, r + 1, dtype=torch.float32, device=dev)
        g = torch.exp(-k[None, :] ** 2 / (2 * sigma[:, None].clamp_min(1e-3) ** 2))
        g = g / g.sum(1, keepdim=True)
        # Separable per-image kernels: the batch becomes channels of one grouped convolution.
        y = F.pad(x.transpose(0, 1), (r, r, r, r), mode='replicate')
        y = F.conv2d(y, g[:, None, None, :], groups=b)
        x = F.conv2d(y, g[:, None, :, None], groups=b).transpose(0, 1)
    if 'gamma' in a:
        gamma = torch.exp((rand(b, 1, 1, 1) * 2 - 1) * math.log(a['gamma']))
        x = ((x + 1) / 2).clamp_min(0).pow(gamma) * 2 - 1
    if 'jpeg' in a:
        j = a['jpeg']
        quality = j['quality'][0] + rand(b) * (j['quality'][1] - j['quality'][0])
        chosen = rand(b) < j['p']
        # Only the chosen images go through the DCT (the draws are the same as for the whole batch).
        x = x.clone()
        x[chosen] = jpeg_like(x[chosen], quality[chosen])
    if 'noise' in a:
        x = x + torch.randn_like(x) * rand(b, 1, 1, 1) * a['noise']
    return x.clamp(-1, 1)


JPEG_LUMA = torch.tensor([
    [16, 11, 10, 16, 24, 40, 51, 61], [12, 12, 14, 19, 26, 58, 60, 55], [14, 13, 16, 24, 40, 57, 69, 56],
    [14, 17, 22, 29, 51, 87, 80, 62], [18, 22, 37, 56, 68, 109, 103, 77], [24, 35, 55, 64, 81, 104, 113, 92],
    [49, 64, 78, 87, 103, 121, 120, 101], [72, 92, 95, 98, 112, 100, 103, 99]], dtype=torch.float32)


def dct8x8(dev):
    """The orthonormal 8×8 DCT-II as one 64×64 matrix acting on a row-major flattened block:
    vec(C B Cᵀ) = (C ⊗ C) vec(B), so a whole batch of blocks is one matrix product."""
    n = torch.arange(8, dtype=torch.float32, device=dev)
    c = torch.cos(math.pi * (2 * n[None, :] + 1) * n[:, None] / 16) * math.sqrt(2 / 8)
    c[0] /= math.sqrt(2)
    return torch.kron(c, c)


_DCT = {}


def jpeg_like(x, quality):
    """JPEG's lossy step on a grey batch [B,1,H,W] in [-1, 1] (H, W multiples of 8): 8×8 block
    DCT, coefficients rounded to the luminance table scaled for each image's quality (1-100)."""
    b, _, h, w = x.shape
    dev = x.device
    if b == 0:
        return x
    k = _DCT.setdefault(str(dev), dct8x8(dev))
    scale = torch.where(quality < 50, 5000 / quality, 200 - 2 * quality)
    table = ((JPEG_LUMA.to(dev).reshape(1, 64) * scale[:, None] + 50) / 100).floor().clamp_min(1)[:, None]
    p = (x[:, 0] + 1) * 127.5 - 128
    blocks = p.reshape(b, h // 8, 8, w // 8, 8).permute(0, 1, 3, 2, 4).reshape(b, -1, 64)
    coef = torch.round(blocks @ k.T / table) * table
    p = (coef @ k).reshape(b, h // 8, w // 8, 8, 8).permute(0, 1, 3, 2, 4).reshape(b, h, w)
    return ((p + 128) / 127.5 - 1)[:, None]


# ---------------------------------------------------------------------------- model

class FerCnn(nn.Module):
    """VGG-style: per stage N × (3×3 conv, BatchNorm, ReLU), 2×2 max-pool between stages,
    global average pooling, dropout, linear. Outputs logits; the export appends softmax."""

    def __init__(self, stages, dropout, classes=7):
        super().__init__()
        layers, cin = [], 1
        for i, (cout, convs) in enumerate(stages):
            if i > 0:
                layers.append(nn.MaxPool2d(2))
            for _ in range(convs):
                layers += [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]
                cin = cout
        self.features = nn.Sequential(*layers)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        x = self.features(x)
        x = x.mean(dim=(2, 3))
        return self.fc(self.dropout(x))


class WithSoftmax(nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, face):
        return torch.softmax(self.net(face), dim=1)


# ---------------------------------------------------------------------------- training

def metrics(probs, labels, n):
    """Accuracy, and recall averaged over the classes present (expressions-wild has three)."""
    pred = probs.argmax(1).cpu()
    labels = labels.cpu()
    confusion = torch.zeros(n, n, dtype=torch.long)
    confusion.index_put_((labels, pred), torch.ones_like(labels), accumulate=True)
    present = [k for k in range(n) if confusion[k].sum().item() > 0]
    recall = [(confusion[k, k].item() / max(1, confusion[k].sum().item())) for k in range(n)]
    return {
        'accuracy': (pred == labels).float().mean().item(),
        'macroRecall': sum(recall[k] for k in present) / max(1, len(present)),
        'perClassRecall': recall,
        'confusion': confusion.tolist(),
    }


def objective(m):
    return (m['accuracy'] + m['macroRecall']) / 2


@torch.no_grad()
def predict(model, x_norm, flip=False, batch=None):
    # On the CPU a batch of 1024 took 8-10 s per 1024 crops here, one of 128 1 s: the large
    # batch's activations (hundreds of MB) miss every cache and are page-faulted in afresh.
    batch = batch or (1024 if x_norm.is_cuda else 128)
    model.eval()
    out = []
    for s in range(0, len(x_norm), batch):
        xb = x_norm[s:s + batch].contiguous(memory_format=torch.channels_last)
        p = torch.softmax(model(xb), 1)
        if flip:
            p = (p + torch.softmax(model(xb.flip(3)), 1)) / 2
        out.append(p)
    return torch.cat(out)


def onnx_weights(path):
    """Initialisers of an ONNX file we exported (onnx package: Debian python3-onnx)."""
    import onnx
    from onnx import numpy_helper
    graph = onnx.load(path).graph
    values = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    convs = [(values[n.input[1]], values[n.input[2]] if len(n.input) > 2 else None)
             for n in graph.node if n.op_type == 'Conv']
    gemm = [n for n in graph.node if n.op_type in ('Gemm', 'MatMul')][0]
    fc = [values[i] for i in gemm.input[1:] if i in values]
    return convs, fc


@torch.no_grad()
def init_from_onnx(model, path, x_sample):
    """Starts from a trained export. The export folded each BatchNorm into its conv (weight and
    bias); here the conv takes the folded weight and the BatchNorm is re-inflated from the
    statistics of that conv's output on `x_sample`, so that it computes the same function in
    training mode (batch statistics) as the export did."""
    convs, fc = onnx_weights(path)
    layers = list(model.features)
    pairs = [(layers[i], layers[i + 1]) for i in range(len(layers) - 1)
             if isinstance(layers[i], nn.Conv2d) and isinstance(layers[i + 1], nn.BatchNorm2d)]
    if len(pairs) != len(convs):
        raise SystemExit(f'{path}: {len(convs)} convolutions, the network has {len(pairs)}')
    # Per conv: count, sum and sum of squares of its output per channel (float64), summed over
    # chunks of the sample, so the sample never runs as one huge batch.
    stats = {}

    def accumulate(mod, _inputs, out):
        o = out.double()
        n, s1, s2 = stats.get(mod, (0, 0, 0))
        stats[mod] = (n + o.numel() // o.shape[1], s1 + o.sum((0, 2, 3)), s2 + (o * o).sum((0, 2, 3)))

    for (conv, bn), (w, b) in zip(pairs, convs):
        conv.weight.copy_(torch.from_numpy(w))
        bn.reset_parameters()
        bn.running_mean.zero_()
        bn.running_var.fill_(1 - bn.eps)
        bn.bias.copy_(torch.from_numpy(b) if b is not None else torch.zeros_like(bn.bias))
        conv.register_forward_hook(accumulate)
    w, b = fc
    model.fc.weight.copy_(torch.from_numpy(w if w.shape == model.fc.weight.shape else w.T))
    model.fc.bias.copy_(torch.from_numpy(b))
    model.eval().to(memory_format=torch.channels_last)
    for chunk in x_sample.split(128):
        model(chunk.contiguous(memory_format=torch.channels_last))  # the export's own function: BatchNorm is bias-only now
    for conv, bn in pairs:
        n, s1, s2 = stats[conv]
        mean = s1 / n
        var = ((s2 - n * mean * mean) / (n - 1)).float()  # unbiased, as Tensor.var
        mean = mean.float()
        conv._forward_hooks.clear()
        bn.running_mean.copy_(mean)
        bn.running_var.copy_(var)
        bn.weight.copy_(torch.sqrt(var + bn.eps))
        bn.bias.add_(mean)


class Trainer:
    """One variant's model, optimiser and data on one device. With `ferplus` in the config the
    FER2013 crops learn soft targets; with a variant's `wild` the expressions-wild training
    people join each epoch (`wildPasses` times over, as 96-px context crops around our
    detector's frame) and the held-apart people are scored beside FER2013 validation."""

    def __init__(self, cfg, variant, data, device):
        self.cfg, self.variant, self.device = cfg, variant, device
        self.n_classes = len(cfg['classes'])
        self.stages = cfg['architectures'][variant['arch']]
        self.size = cfg['input']['size']
        self.x_train = normalise(data['train_x'], cfg).to(device)
        self.y_train = data['train_y'].to(device)
        self.soft = 'train_t' in data
        onehot = F.one_hot(data['train_y'], self.n_classes).float()
        if self.soft:
            # t = fer2013Weight · one-hot(FER2013 label) + (1 − fer2013Weight) · FER+ votes.
            beta = variant['fer2013Weight']
            onehot = beta * onehot + (1 - beta) * data['train_t']
        self.t_train = onehot.to(device)
        self.x_val = normalise(data['val_x'], cfg).to(device)
        self.y_val = data['val_y'].to(device)
        self.has_wild_val = 'wildval_x' in data
        if self.has_wild_val:
            self.x_wildval = normalise(data['wildval_x'], cfg).to(device)
            self.y_wildval = data['wildval_y'].to(device)
        self.wild_passes = variant.get('wildPasses', 0) if 'wild_x' in data else 0
        if self.wild_passes:
            self.x_wild = normalise(data['wild_x'], cfg).to(device)
            self.t_wild = F.one_hot(data['wild_y'], self.n_classes).float().to(device)
            self.wild_share = self.size / self.x_wild.shape[2]
        n_wild = len(self.x_wild) * self.wild_passes if self.wild_passes else 0
        counts = self.t_train.sum(0) + (self.t_wild.sum(0) * self.wild_passes if self.wild_passes else 0)
        counts = counts.clamp_min(1)
        # Balanced sampling: an image of class c is drawn with probability ∝ n_c^-p.
        self.sample_weights = counts[self.y_train] ** (-variant['samplingPower'])
        # Class-weighted loss: w_c ∝ n_c^-q, scaled so that the average weight per image is 1.
        w = counts ** (-variant['lossWeightPower'])
        self.loss_weights = w * counts.sum() / (w * counts).sum()
        self.n_fer = len(self.y_train)
        # Fine-tuning on the CPU: each epoch may draw only a share of the FER2013 crops.
        self.fer_per_epoch = int(round(self.n_fer * cfg['train'].get('ferShare', 1)))
        self.steps = (self.fer_per_epoch + n_wild) // cfg['train']['batchSize']

    def fresh(self, epochs):
        t = self.cfg['train']
        torch.manual_seed(self.cfg['seed'])
        model = FerCnn(self.stages, self.cfg['dropout'], self.n_classes)
        if self.cfg.get('init'):
            init_from_onnx(model, os.path.join(MODELS, self.cfg['init']['onnx']), self.x_train[:2048])
        model = model.to(self.device, memory_format=torch.channels_last)
        opt = torch.optim.SGD(model.parameters(), lr=t['maxLr'], momentum=t['momentum'], nesterov=True,
                              weight_decay=t['weightDecay'])
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=t['maxLr'], total_steps=epochs * self.steps,
                                                    pct_start=t['pctStart'])
        if self.soft or self.wild_passes:
            eps = t['labelSmoothing']

            def loss_fn(logits, targets):
                targets = targets * (1 - eps) + eps / self.n_classes
                weight = targets @ self.loss_weights
                return (weight * -(targets * F.log_softmax(logits, 1)).sum(1)).sum() / weight.sum()
        else:
            loss_fn = nn.CrossEntropyLoss(weight=self.loss_weights, label_smoothing=t['labelSmoothing'])
        return model, opt, sched, loss_fn

    def epoch_order(self):
        """Indices < n_fer are FER2013 crops, the rest expressions-wild crops (drawn with replacement)."""
        n = self.n_fer
        if self.variant['samplingPower'] == 0:
            order = torch.randperm(n, device=self.device)
        else:
            order = torch.multinomial(self.sample_weights, n, replacement=True)
        order = order[:self.fer_per_epoch]
        if self.wild_passes:
            wild = torch.cat([torch.randperm(len(self.x_wild), device=self.device) for _ in range(self.wild_passes)])
            order = torch.cat([order, wild + n])
            order = order[torch.randperm(len(order), device=self.device)]
        return order

    def batch(self, idx):
        a = self.cfg['augment']
        if not self.wild_passes:
            x = augment(self.x_train[idx], a)
            return x, (self.t_train[idx] if self.soft else self.y_train[idx])
        fer, wild = idx[idx < self.n_fer], idx[idx >= self.n_fer] - self.n_fer
        x = torch.cat([augment(self.x_train[fer], a, size=self.size),
                       augment(self.x_wild[wild], a, frame_share=self.wild_share, size=self.size)])
        return x, torch.cat([self.t_train[fer], self.t_wild[wild]])

    def train_steps(self, model, opt, sched, loss_fn, order, steps):
        """Runs `steps` batches; returns summed loss and correct count as device tensors (no sync per step)."""
        bs = self.cfg['train']['batchSize']
        model.train()
        total_loss = torch.zeros((), device=self.device)
        correct = torch.zeros((), device=self.device, dtype=torch.long)
        for s in range(steps):
            xb, yb = self.batch(order[s * bs:(s + 1) * bs])
            logits = model(xb.contiguous(memory_format=torch.channels_last))
            loss = loss_fn(logits, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total_loss += loss.detach() * len(yb)
            correct += (logits.argmax(1) == (yb.argmax(1) if yb.dim() == 2 else yb)).sum()
        return total_loss, correct

    def sync(self):
        if self.device.type == 'cuda':
            torch.cuda.synchronize(self.device)

    def time_epoch(self, warm=10, timed=30):
        """Seconds one epoch (training and validation) takes, from a timing of a few steps."""
        bs = self.cfg['train']['batchSize']
        model, opt, sched, loss_fn = self.fresh(math.ceil((warm + timed) / self.steps))
        order = torch.cat([self.epoch_order() for _ in range(math.ceil((warm + timed) * bs / self.n_fer))])
        self.train_steps(model, opt, sched, loss_fn, order, warm)
        self.sync()
        t0 = time.time()
        self.train_steps(model, opt, sched, loss_fn, order[warm * bs:], timed)
        self.sync()
        per_step = (time.time() - t0) / timed
        t0 = time.time()
        predict(model, self.x_val)
        self.sync()
        return per_step * self.steps + (time.time() - t0)

    def validation(self, model, flip=False):
        out = {'fer': metrics(predict(model, self.x_val, flip), self.y_val, self.n_classes)}
        if self.has_wild_val:
            out['wild'] = metrics(predict(model, self.x_wildval, flip), self.y_wildval, self.n_classes)
        return out

    def run(self, epochs, label, hard_deadline=None):
        model, opt, sched, loss_fn = self.fresh(epochs)
        history, truncated = [], False
        bs = self.cfg['train']['batchSize']
        if self.cfg.get('init') and self.cfg['train'].get('scoreStart', True):
            v = self.validation(model, flip=True)
            log(f'[{label}] start ({self.cfg["init"]["onnx"]}, mirror): FER2013 val {v["fer"]["accuracy"]:.4f} / '
                f'{v["fer"]["macroRecall"]:.4f}' + (f'; wild val {v["wild"]["accuracy"]:.4f} / {v["wild"]["macroRecall"]:.4f}'
                                                    if 'wild' in v else ''))
        for epoch in range(1, epochs + 1):
            t0 = time.time()
            total_loss, correct = self.train_steps(model, opt, sched, loss_fn, self.epoch_order(), self.steps)
            seen = self.steps * bs
            train_loss, train_acc = total_loss.item() / seen, correct.item() / seen
            train_seconds = time.time() - t0
            probs = predict(model, self.x_val)
            val_loss = F.nll_loss(torch.log(probs.clamp_min(1e-12)), self.y_val).item()
            m = metrics(probs, self.y_val, self.n_classes)
            row = {'epoch': epoch, 'trainLoss': train_loss, 'trainAccuracy': train_acc, 'valLoss': val_loss,
                   'valAccuracy': m['accuracy'], 'valMacroRecall': m['macroRecall'], 'lr': sched.get_last_lr()[0]}
            if self.has_wild_val:
                wm = metrics(predict(model, self.x_wildval), self.y_wildval, self.n_classes)
                row.update({'wildValAccuracy': wm['accuracy'], 'wildValMacroRecall': wm['macroRecall']})
            row.update({'trainSeconds': round(train_seconds, 2), 'seconds': round(time.time() - t0, 2)})
            history.append(row)
            if epoch == 1 or epoch % 10 == 0 or epoch == epochs or self.cfg.get('init'):
                log(f'[{label}] epoch {epoch}/{epochs}: train loss {train_loss:.4f} acc {train_acc:.4f} | '
                    f'val loss {val_loss:.4f} acc {m["accuracy"]:.4f} macro recall {m["macroRecall"]:.4f}' +
                    (f' | wild acc {row["wildValAccuracy"]:.4f} macro {row["wildValMacroRecall"]:.4f}'
                     if self.has_wild_val else '') + f' | {row["seconds"]} s')
            if hard_deadline and epoch < epochs and time.time() + 1.5 * row['seconds'] > hard_deadline:
                log(f'[{label}] stopping after epoch {epoch} of {epochs}: the time budget is spent')
                truncated = True
                break
        plain, flipped = self.validation(model), self.validation(model, flip=True)
        final = {'plain': plain['fer'], 'flip': flipped['fer']}
        if self.has_wild_val:
            final.update({'wildPlain': plain['wild'], 'wildFlip': flipped['wild']})
        return model, history, final, truncated


def round_metrics(m):
    return {k: (round(v, 4) if isinstance(v, float) else [round(x, 4) for x in v] if k == 'perClassRecall' else v)
            for k, v in m.items()}


def environment(device):
    env = {'torch': torch.__version__, 'numpy': np.__version__, 'python': platform.python_version(),
           'machine': platform.machine(), 'cpuThreads': torch.get_num_threads(), 'device': device.type}
    if device.type == 'cuda':
        env['gpu'] = torch.cuda.get_device_name(device)
        env['cuda'] = torch.version.cuda
    return env


# ---------------------------------------------------------------------------- the sweep

PIXELS = ('train_x', 'val_x', 'wild_x', 'wildval_x')


def save_cache(data, path):
    arrays = {k: (v.numpy().astype(np.uint8) if k in PIXELS else v.numpy()) for k, v in data.items() if k != 'info'}
    np.savez(path, info=np.array(json.dumps(data['info'])), **arrays)


def load_cache(path):
    z = np.load(path, allow_pickle=False)
    data = {k: torch.from_numpy(z[k].astype(np.float32) if k in PIXELS else z[k]) for k in z.files if k != 'info'}
    data['info'] = json.loads(str(z['info']))
    return data


def agreed_epochs(cfg, my_epoch_seconds, calib_dir, name, peers, deadline):
    """Every variant times its own epoch, then all take the slowest peer's time, so that all
    train the same number of epochs (a fair comparison) and all finish inside the budget."""
    with open(os.path.join(calib_dir, f'{name}.tmp'), 'w') as f:
        json.dump({'epochSeconds': my_epoch_seconds, 'at': time.time()}, f)
    os.replace(os.path.join(calib_dir, f'{name}.tmp'), os.path.join(calib_dir, f'{name}.json'))
    waited = time.time()
    while len([f for f in os.listdir(calib_dir) if f.endswith('.json')]) < peers:
        if time.time() - waited > 180:
            raise SystemExit(f'[{name}] peers did not report their epoch time within 180 s')
        time.sleep(0.2)
    rows = []
    for f in sorted(os.listdir(calib_dir)):
        if f.endswith('.json'):
            with open(os.path.join(calib_dir, f)) as fh:
                rows.append(json.load(fh))
    start = max(r['at'] for r in rows)
    slowest = max(r['epochSeconds'] for r in rows)
    # 30 % margin for the timing's noise; whole tens of epochs.
    epochs = int((deadline - start - 5) / (slowest * 1.3))
    epochs = min(cfg['train']['maxEpochs'], epochs)
    if epochs >= 20:
        epochs -= epochs % 10
    if epochs < 1:
        raise SystemExit(f'[{name}] the budget leaves no time for one epoch ({slowest:.1f} s each)')
    return epochs, slowest


def step_variant(cfg, args, device):
    name = args.variant
    variant = cfg['variants'][name]
    data = load_cache(args.cache)
    trainer = Trainer(cfg, variant, data, device)
    t_start = time.time()
    if args.epochs:
        epochs, epoch_seconds = args.epochs, None
    else:
        epoch_seconds = trainer.time_epoch()
        epochs, epoch_seconds = agreed_epochs(cfg, epoch_seconds, args.calib_dir, name, args.peers, args.deadline)
        log(f'[{name}] {epochs} epochs (slowest variant: {epoch_seconds:.2f} s per epoch)')
    t0 = time.time()
    model, history, final, truncated = trainer.run(epochs, name, args.hard_deadline)
    seconds = round(time.time() - t0, 1)
    log(f'[{name}] done in {seconds} s: accuracy {final["plain"]["accuracy"]:.4f} / macro recall '
        f'{final["plain"]["macroRecall"]:.4f}; with mirror {final["flip"]["accuracy"]:.4f} / '
        f'{final["flip"]["macroRecall"]:.4f}')
    meta = {'variant': name, **variant, 'stages': trainer.stages, 'epochs': epochs, 'epochsRun': len(history),
            'truncated': truncated, 'timedEpochSeconds': epoch_seconds, 'seconds': seconds,
            'secondsWithTiming': round(time.time() - t_start, 1),
            'params': sum(p.numel() for p in model.parameters()), 'history': history,
            'final': {k: round_metrics(v) for k, v in final.items()}, 'environment': environment(device),
            'data': data['info']}
    weights = {f'w/{k}': v.detach().cpu().numpy() for k, v in model.state_dict().items()}
    tmp = os.path.join(args.out, f'{name}.tmp.npz')
    np.savez(tmp, meta=np.array(json.dumps(meta)), **weights)
    os.replace(tmp, os.path.join(args.out, f'{name}.npz'))


def step_sweep(cfg, args, device, data):
    """Trains every variant at once, one process each (on a GPU they share it), into args.out."""
    os.makedirs(args.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix='memegen-sweep-')
    try:
        run_sweep(cfg, args, device, data, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_sweep(cfg, args, device, data, work):
    cache = os.path.join(work, 'data.npz')
    save_cache(data, cache)
    calib = os.path.join(work, 'calibration')
    os.makedirs(calib)
    names = args.variants.split(',') if args.variants else list(cfg['variants'])
    deadline = args.started + args.budget
    procs = []
    for name in names:
        cmd = [sys.executable, os.path.abspath(__file__), '--step', 'variant', '--variant', name, '--cache', cache,
               '--config', args.config, '--device', device.type, '--out', args.out]
        if args.epochs:
            # A fixed epoch count runs to the end, however long it takes.
            cmd += ['--epochs', str(args.epochs)]
        else:
            cmd += ['--calib-dir', calib, '--peers', str(len(names)), '--deadline', str(deadline),
                    '--hard-deadline', str(deadline + 40)]
        procs.append((name, subprocess.Popen(cmd)))
    failed = [name for name, p in procs if p.wait() != 0]
    if failed:
        raise SystemExit(f'variants failed: {", ".join(failed)}')
    log(f'sweep done: {", ".join(names)} in {args.out}')


# ---------------------------------------------------------------------------- selection

def read_variant(path):
    z = np.load(path, allow_pickle=False)
    meta = json.loads(str(z['meta']))
    state = {k[2:]: torch.from_numpy(np.array(z[k])) for k in z.files if k.startswith('w/')}
    return meta, state


def select(cfg, metas):
    """The rules in config.json `selection`, on the mirror-averaged validation figures."""
    if cfg['selection'].get('domains'):
        # Both validation domains count alike: mean of (accuracy + macro recall) / 2 on each.
        def score(n):
            f = metas[n]['final']
            return (objective(f['flip']) + objective(f['wildFlip'])) / 2
        names = list(metas)
        return max(names, key=score), names
    tol = cfg['selection']['toleranceAccuracy']
    plain = {m['arch']: m for m in metas.values() if m['samplingPower'] == 0 and m['lossWeightPower'] == 0}
    eligible = []
    for name, m in metas.items():
        base = plain.get(m['arch'])
        if base is None or m is base or m['final']['flip']['accuracy'] >= base['final']['flip']['accuracy'] - tol:
            eligible.append(name)
    winner = max(eligible, key=lambda n: metas[n]['final']['flip']['accuracy'] + metas[n]['final']['flip']['macroRecall'])
    return winner, eligible


def read_sweep(folder):
    metas, states = {}, {}
    for f in sorted(os.listdir(folder)):
        if f.endswith('.npz') and not f.endswith('.tmp.npz'):
            meta, state = read_variant(os.path.join(folder, f))
            metas[meta['variant']], states[meta['variant']] = meta, state
    if not metas:
        raise SystemExit(f'no variant results (*.npz) in {folder}')
    return metas, states


def rounded_history(history):
    return [{k: (round(v, 5) if isinstance(v, float) else v) for k, v in row.items()} for row in history]


def summary(m):
    return {k: (rounded_history(m[k]) if k == 'history' else m[k]) for k in ('arch', 'stages', 'params', 'samplingPower', 'lossWeightPower', 'epochs', 'epochsRun',
                              'truncated', 'seconds', 'environment', 'final', 'history')}


def write_comparison_table(cfg, metas, winner):
    """<id>.comparison.md beside the JSON: the variants side by side, for the README to link."""
    pct = lambda v: f'{v * 100:.1f} %'  # noqa: E731
    lines = [f'# {cfg["id"]}: variants compared', '',
             f'Written by `train.py --step select` from `{cfg.get("comparison")}`; do not edit by hand.', '',
             'PyTorch, face and mirror averaged; FER2013 validation less training duplicates (FER2013 labels) and the',
             'expressions-wild validation people (crops cut by our detector, as `prepare-wild.ts` makes them).', '',
             '| variant | FER2013 weight in the targets | wild passes per epoch | epochs | FER2013 val accuracy / macro recall '
             '| wild val accuracy / macro recall | objective | minutes | device |',
             '|---|---|---|---|---|---|---|---|---|']
    for n, m in metas.items():
        f = m['final']
        obj = (objective(f['flip']) + objective(f['wildFlip'])) / 2
        epochs = f'{m["epochsRun"]} of {m["epochs"]}, stopped by the budget' if m['truncated'] else m['epochsRun']
        lines.append(f'| {"**" + n + "** (kept)" if n == winner else n} | {m.get("fer2013Weight")} | {m.get("wildPasses", 0)} '
                     f'| {epochs} | {pct(f["flip"]["accuracy"])} / {pct(f["flip"]["macroRecall"])} '
                     f'| {pct(f["wildFlip"]["accuracy"])} / {pct(f["wildFlip"]["macroRecall"])} | {obj * 100:.2f} '
                     f'| {m["seconds"] / 60:.0f} | {describe_device(m["environment"])} |')
    start = metas[winner]['history'][0] if metas[winner]['history'] else None
    if start is not None and cfg.get('init'):
        lines += ['', f'Every variant starts from `{cfg["init"]["onnx"]}`; the per-epoch figures are in the JSON.']
    with open(os.path.join(HERE, f'{cfg["id"]}.comparison.md'), 'w') as fh:
        fh.write('\n'.join(lines) + '\n')


def step_select(cfg, args, scratch):
    """Picks the final model from the last sweep folder in --sweep (comma-separated); earlier
    folders are recorded in comparison.json beside it."""
    folders = args.sweep.split(',')
    earlier = {os.path.basename(os.path.normpath(f)): {n: summary(m) for n, m in read_sweep(f)[0].items()}
               for f in folders[:-1]}
    metas, states = read_sweep(folders[-1])
    winner, eligible = select(cfg, metas)
    out = {'selection': cfg['selection'], 'sweep': os.path.basename(os.path.normpath(folders[-1])),
           'winner': winner, 'eligible': eligible,
           'variants': {n: summary(m) for n, m in metas.items()}, 'earlierSweeps': earlier}
    write_json(os.path.join(HERE, cfg.get('comparison', 'comparison.json')), out)
    if cfg['selection'].get('domains'):
        write_comparison_table(cfg, metas, winner)
    for n, m in metas.items():
        fl, pl = m['final']['flip'], m['final']['plain']
        log(f'{n:20s} {m["params"]:8d} params, {m["epochsRun"]} epochs: accuracy {pl["accuracy"]:.4f} / macro '
            f'{pl["macroRecall"]:.4f}; mirror {fl["accuracy"]:.4f} / {fl["macroRecall"]:.4f}' +
            (f'; wild val (mirror) {m["final"]["wildFlip"]["accuracy"]:.4f} / {m["final"]["wildFlip"]["macroRecall"]:.4f}'
             if 'wildFlip' in m['final'] else '') +
            f'{"" if n in eligible else "  (not eligible)"}{"  <- winner" if n == winner else ""}')
    m = metas[winner]
    torch.save({'model': states[winner], 'history': m['history'], 'final': m['final'], 'variant': winner,
                'arch': m['arch'], 'stages': m['stages'], 'samplingPower': m['samplingPower'],
                'lossWeightPower': m['lossWeightPower'], 'wildPasses': m.get('wildPasses', 0),
                'fer2013Weight': m.get('fer2013Weight'),
                'seconds': m['seconds'], 'truncated': m['truncated'],
                'environment': m['environment'], 'data': m['data']},
               os.path.join(scratch, f'{cfg["id"]}.pt'))


# ---------------------------------------------------------------------------- export

def mulberry32(seed):
    """Same generator as models/export/equivalence/inputs.ts (prng), in float64."""
    a = seed & 0xFFFFFFFF

    def imul(x, y):
        return (x * y) & 0xFFFFFFFF

    def nxt():
        nonlocal a
        a = (a + 0x6D2B79F5) & 0xFFFFFFFF
        t = a
        t = imul(t ^ (t >> 15), t | 1)
        t ^= (t + imul(t ^ (t >> 7), t | 61)) & 0xFFFFFFFF
        return ((t ^ (t >> 14)) & 0xFFFFFFFF) / 4294967296
    return nxt


def reference_cases(cfg, net):
    """Inputs as the equivalence test builds them; outputs from PyTorch."""
    size = cfg['input']['size']
    cases = []
    for photo in ('skimage_astronaut', 'matplotlib_grace_hopper'):
        # Real faces: the mini-xception fixture crops (64×64 grey, made by the project's
        # detector and crop code), box-downsampled to this model's 48×48.
        src = os.path.join(FIXTURES, f'mini-xception-{photo}.png')
        img = Image.open(src).convert('L').resize((size, size), Image.BOX)
        file = f'{cfg["id"]}-{photo}.png'
        img.save(os.path.join(FIXTURES, file), optimize=False)
        pixels = np.asarray(Image.open(os.path.join(FIXTURES, file)).convert('L'), dtype=np.float64)
        cases.append(({'label': f'photo {photo} (mini-xception crop at {size}×{size})', 'kind': 'image', 'file': file},
                      pixels))
    for seed in (1, 2):
        nxt = mulberry32(seed)
        pixels = np.array([nxt() * 255 for _ in range(size * size)], dtype=np.float32).astype(np.float64)
        cases.append(({'label': f'random pixels, seed {seed}', 'kind': 'random', 'seed': seed},
                      pixels.reshape(size, size)))
    out = []
    net.eval()
    with torch.no_grad():
        for case, pixels in cases:
            # (v - mean) * scale in float64, stored float32: what normalizeNhwc does.
            x = ((pixels - cfg['input']['mean']) * cfg['input']['scale']).astype(np.float32)
            y = net(torch.from_numpy(x).reshape(1, 1, size, size)).numpy().astype('<f4')
            out.append({**case, 'outputs': {'probabilities': {'shape': [1, len(cfg['classes'])],
                                                              'data': base64.b64encode(y.tobytes()).decode()}}})
    return out


def learning_curves_png(history, comparison, path, title):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    ep = [h['epoch'] for h in history]
    fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(15, 4.4), dpi=100)
    ax1.plot(ep, [h['trainLoss'] for h in history], label='train (augmented, label-smoothed)')
    ax1.plot(ep, [h['valLoss'] for h in history], label='validation')
    ax1.set_xlabel('epoch'); ax1.set_ylabel('cross-entropy'); ax1.set_title('loss (the model kept)')
    ax1.legend(); ax1.grid(alpha=.3)
    ax2.plot(ep, [h['trainAccuracy'] for h in history], label='train accuracy (augmented)')
    ax2.plot(ep, [h['valAccuracy'] for h in history], label='validation accuracy')
    ax2.plot(ep, [h['valMacroRecall'] for h in history], label='validation macro recall')
    if 'wildValAccuracy' in history[0]:
        ax2.plot(ep, [h['wildValAccuracy'] for h in history], label='expressions-wild validation accuracy')
        ax2.plot(ep, [h['wildValMacroRecall'] for h in history], label='expressions-wild validation macro recall')
    ax2.set_xlabel('epoch'); ax2.set_title('accuracy (the model kept)'); ax2.legend(fontsize=8); ax2.grid(alpha=.3)
    if comparison:
        for i, (name, r) in enumerate(comparison['variants'].items()):
            colour = f'C{i}'
            e = [h['epoch'] for h in r['history']]
            ax3.plot(e, [h['valAccuracy'] for h in r['history']], '-', color=colour, lw=1, label=f'{name}: accuracy')
            ax3.plot(e, [h['valMacroRecall'] for h in r['history']], ':', color=colour, lw=1, label=f'{name}: macro recall')
        ax3.set_ylim(0.4, None)
    ax3.set_xlabel('epoch'); ax3.set_title('every variant, validation'); ax3.legend(fontsize=6, ncol=2)
    ax3.grid(alpha=.3)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, metadata={'Software': None})
    plt.close(fig)


def onnx_export(net, path, size):
    import inspect
    extra = {}
    # PyTorch 2.9+ defaults to the dynamo exporter; the TorchScript one gives the same graph on every version.
    if 'dynamo' in inspect.signature(torch.onnx.export).parameters:
        extra['dynamo'] = False
    torch.onnx.export(net, torch.zeros(1, 1, size, size), path, input_names=['face'],
                      output_names=['probabilities'], dynamic_axes={'face': {0: 'batch'}, 'probabilities': {0: 'batch'}},
                      opset_version=13, do_constant_folding=True, training=torch.onnx.TrainingMode.EVAL, **extra)


def describe_balance(sampling_power, loss_weight_power):
    parts = ([f'class-balanced sampling (power {sampling_power})'] if sampling_power else []) + \
            ([f'class-weighted loss (power {loss_weight_power})'] if loss_weight_power else [])
    return ', '.join(parts) or 'plain'


def describe_device(env):
    if env.get('device') == 'cuda':
        return f'{env.get("gpu", "GPU")}'
    return f'CPU, {env.get("cpuThreads", 1)} thread(s)'


def step_export(cfg, scratch):
    ckpt = torch.load(os.path.join(scratch, f'{cfg["id"]}.pt'))
    net = FerCnn(ckpt['stages'], cfg['dropout'], len(cfg['classes']))
    net.load_state_dict(ckpt['model'])
    net = net.to(memory_format=torch.contiguous_format).eval()
    wrapped = WithSoftmax(net).eval()
    size = cfg['input']['size']
    onnx_path = os.path.join(MODELS, f'{cfg["id"]}.onnx')
    onnx_export(wrapped, onnx_path, size)
    onnx_sha = sha256_file(onnx_path)
    log(f'wrote {onnx_path} ({os.path.getsize(onnx_path)} bytes, sha256 {onnx_sha[:16]}…)')

    reference = {'model': cfg['id'], 'generatedWith': f'PyTorch {torch.__version__} (models/training/train.py)',
                 'note': 'Inputs: see models/export/equivalence/inputs.ts; outputs of the trained PyTorch model '
                         '(softmax), rewritten by `python3 models/training/train.py --step export`.',
                 'cases': reference_cases(cfg, wrapped)}
    with open(os.path.join(FIXTURES, f'{cfg["id"]}.json'), 'w') as f:
        json.dump(reference, f, separators=(',', ':'))

    comparison = None
    comp_path = os.path.join(HERE, cfg.get('comparison', 'comparison.json'))
    if os.path.exists(comp_path):
        with open(comp_path) as f:
            comparison = json.load(f)
    history = ckpt['history']
    final = ckpt.get('final') or {}
    info = ckpt['data']
    png = os.path.join(MODELS, f'{cfg["id"]}-learning-curves.png')
    title = (f'{cfg["id"]}: variant {ckpt["variant"]}, {len(history)} epochs on {describe_device(ckpt["environment"])}; '
             f'validation = FER2013 PublicTest less train duplicates ({info["validationImagesUsed"]} crops)')
    learning_curves_png(history, comparison, png, title)
    record = {
        'id': cfg['id'],
        'comment': 'Written by models/training/train.py; read by `npm run models:export` for the manifest entry.',
        'onnx': {'file': f'{cfg["id"]}.onnx', 'sha256': onnx_sha, 'bytes': os.path.getsize(onnx_path), 'opset': 13},
        'data': info,
        'config': cfg,
        'variant': ckpt['variant'],
        'architecture': {'name': ckpt['arch'], 'stages': ckpt['stages'],
                         'params': sum(p.numel() for p in net.parameters())},
        'balance': describe_balance(ckpt['samplingPower'], ckpt['lossWeightPower']),
        'samplingPower': ckpt['samplingPower'],
        'lossWeightPower': ckpt['lossWeightPower'],
        'wildPasses': ckpt.get('wildPasses', 0),
        'fer2013Weight': ckpt.get('fer2013Weight'),
        'environment': ckpt['environment'],
        'exportEnvironment': environment(torch.device('cpu')),
        'trainingSeconds': ckpt.get('seconds'),
        'truncated': ckpt.get('truncated', False),
        'secondsPerEpoch': round(sum(h['seconds'] for h in history) / max(1, len(history)), 2),
        'validationPyTorch': final,
        'history': rounded_history(history),
        'learningCurves': os.path.basename(png),
    }
    write_json(os.path.join(HERE, f'{cfg["id"]}.record.json'), record)
    log('wrote fixtures, learning curves and training record')


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--config', default=os.path.join(HERE, 'config.json'))
    p.add_argument('--tarball', default=os.path.join(ROOT, '..', 'shared', 'data', 'fer2013-train', 'fer2013-train.tar.gz'))
    p.add_argument('--validation', default=os.path.join(ROOT, '..', 'shared', 'data', 'fer2013'))
    p.add_argument('--scratch', default=os.path.join(ROOT, '.scratch', 'training'), help='checkpoints (git-ignored)')
    p.add_argument('--sweep',
                   help='where the sweep writes one <variant>.npz per variant (default .scratch/training/<the '
                        'config\'s sweepFolder, else sweep>); for --step select, comma-separated '
                        'folders: the model is picked from the last, the others are recorded beside it')
    p.add_argument('--step', choices=['all', 'sweep', 'select', 'export', 'variant'], default='all')
    p.add_argument('--device', choices=['cuda', 'cpu'], default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument('--budget', type=float, default=480,
                   help='seconds from start by which the sweep should end; sets the epoch count (default 480)')
    p.add_argument('--epochs', type=int, help='fix the epoch count instead of fitting it to --budget')
    p.add_argument('--variants', help='comma-separated subset of config.json variants (default: all)')
    p.add_argument('--subset', type=int, help='train on about N evenly spaced images only (a smoke test of the whole path)')
    # Set by the sweep for its child processes.
    for internal in ('--variant', '--cache', '--calib-dir'):
        p.add_argument(internal, help=argparse.SUPPRESS)
    p.add_argument('--out', help=argparse.SUPPRESS)
    p.add_argument('--peers', type=int, help=argparse.SUPPRESS)
    p.add_argument('--deadline', type=float, help=argparse.SUPPRESS)
    p.add_argument('--hard-deadline', type=float, help=argparse.SUPPRESS)
    args = p.parse_args()
    args.started = time.time()
    with open(args.config) as f:
        cfg = json.load(f)
    args.sweep = args.sweep or os.path.join(ROOT, '.scratch', 'training', cfg.get('sweepFolder', 'sweep'))
    torch.set_num_threads(cfg['train']['cpuThreads'])
    # Subnormal floats (which fine-tuning produces in weights and gradients) take a slow path
    # on the CPU: without flushing them, a fine-tuning step here grew 45-55 % slower over the
    # first 140 steps; with it, it stayed flat. Deterministic all the same.
    torch.set_flush_denormal(True)
    device = torch.device(args.device)
    if device.type == 'cuda':
        torch.backends.cudnn.benchmark = True
    if args.step == 'variant':
        return step_variant(cfg, args, device)
    os.makedirs(args.scratch, exist_ok=True)
    if args.step in ('all', 'sweep'):
        data = load_data(cfg, os.path.normpath(args.tarball), os.path.normpath(args.validation))
        if args.subset:
            every = max(1, len(data['train_y']) // args.subset)
            data['train_x'], data['train_y'] = data['train_x'][::every], data['train_y'][::every]
            if 'train_t' in data:
                data['train_t'] = data['train_t'][::every]
        args.out = args.out or args.sweep
        step_sweep(cfg, args, device, data)
        args.sweep = args.out
    if args.step in ('all', 'select'):
        step_select(cfg, args, args.scratch)
    if args.step in ('all', 'export'):
        step_export(cfg, args.scratch)


if __name__ == '__main__':
    sys.exit(main())
