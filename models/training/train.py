#!/usr/bin/env python3
"""Trains memegen's own FER2013 expression CNN on the CPU and exports it to ONNX.

One command, from the tarball to models/memegen-fer-cnn.onnx (see README.md here):

    /usr/bin/python3 models/training/train.py

Steps (each can be run alone with --step): `compare` trains short runs of plain and
class-balanced sampling and picks the balance by the rule in config.json; `train`
trains the final model with it; `export` writes the ONNX file, the PyTorch reference
outputs for the equivalence test, the training record and the learning-curve PNG.

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
import sys
import tarfile
import time

os.environ.setdefault('OMP_NUM_THREADS', '1')
os.environ.setdefault('MKL_NUM_THREADS', '1')

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
    return data


def normalise(pixels, cfg):
    return (pixels - cfg['input']['mean']) * cfg['input']['scale']


# ---------------------------------------------------------------------------- augmentation

def augment(x, a):
    """x: normalised batch [B,1,H,W] in [-1, 1]. All random draws from torch's global generator."""
    b = x.shape[0]
    flip = torch.rand(b) < a['flip']
    x = torch.where(flip[:, None, None, None], x.flip(3), x)
    angle = (torch.rand(b) * 2 - 1) * math.radians(a['rotateDegrees'])
    scale = 1 + (torch.rand(b) * 2 - 1) * a['scale']
    shift = (torch.rand(b, 2) * 2 - 1) * a['shift'] * 2  # affine_grid units: the image spans [-1, 1]
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    # Border padding repeats edge pixels, as the runtime's crop does outside the picture.
    x = F.grid_sample(x, grid, mode='bilinear', padding_mode='border', align_corners=False)
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    contrast = 1 + (torch.rand(b, 1, 1, 1) * 2 - 1) * a['contrast']
    brightness = (torch.rand(b, 1, 1, 1) * 2 - 1) * a['brightness'] * 2
    x = ((x - mean) * contrast + mean + brightness).clamp(-1, 1)
    e = a['erase']
    h, w = x.shape[2], x.shape[3]
    area = (e['area'][0] + torch.rand(b) * (e['area'][1] - e['area'][0])) * h * w
    log_ratio = math.log(e['aspect'][0]) + torch.rand(b) * (math.log(e['aspect'][1]) - math.log(e['aspect'][0]))
    ratio = torch.exp(log_ratio)
    eh = torch.sqrt(area * ratio).clamp(1, h - 1)
    ew = torch.sqrt(area / ratio).clamp(1, w - 1)
    y0 = torch.rand(b) * (h - eh)
    x0 = torch.rand(b) * (w - ew)
    ys = torch.arange(h, dtype=torch.float32)[None, :, None]
    xs = torch.arange(w, dtype=torch.float32)[None, None, :]
    mask = ((ys >= y0[:, None, None]) & (ys < (y0 + eh)[:, None, None]) &
            (xs >= x0[:, None, None]) & (xs < (x0 + ew)[:, None, None]))
    mask = mask & (torch.rand(b) < e['p'])[:, None, None]
    noise = (torch.rand_like(x) * 2 - 1)
    return torch.where(mask[:, None], noise, x)


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
    pred = probs.argmax(1)
    confusion = torch.zeros(n, n, dtype=torch.long)
    for t, p in zip(labels.tolist(), pred.tolist()):
        confusion[t, p] += 1
    recall = [(confusion[k, k].item() / max(1, confusion[k].sum().item())) for k in range(n)]
    return {
        'accuracy': (pred == labels).float().mean().item(),
        'macroRecall': sum(recall) / n,
        'perClassRecall': recall,
        'confusion': confusion.tolist(),
    }


@torch.no_grad()
def predict(model, x_norm, flip=False, batch=512):
    model.eval()
    out = []
    for s in range(0, len(x_norm), batch):
        xb = x_norm[s:s + batch].contiguous(memory_format=torch.channels_last)
        p = torch.softmax(model(xb), 1)
        if flip:
            p = (p + torch.softmax(model(xb.flip(3)), 1)) / 2
        out.append(p)
    return torch.cat(out)


def train_run(cfg, data, epochs, sampling_power, label, checkpoint=None):
    tcfg = cfg['train']
    torch.manual_seed(cfg['seed'])
    np.random.seed(cfg['seed'] % (2 ** 32))
    n_classes = len(cfg['classes'])
    model = FerCnn(cfg['model']['stages'], cfg['model']['dropout'], n_classes).to(memory_format=torch.channels_last)
    x_train = normalise(data['train_x'], cfg)
    y_train = data['train_y']
    x_val = normalise(data['val_x'], cfg)
    y_val = data['val_y']
    counts = torch.bincount(y_train, minlength=n_classes).float()
    weights = counts[y_train] ** (-sampling_power)
    n = len(y_train)
    bs = tcfg['batchSize']
    steps = n // bs
    opt = torch.optim.SGD(model.parameters(), lr=tcfg['maxLr'], momentum=tcfg['momentum'], nesterov=True,
                          weight_decay=tcfg['weightDecay'])
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=tcfg['maxLr'], total_steps=epochs * steps,
                                                pct_start=tcfg['pctStart'])
    loss_fn = nn.CrossEntropyLoss(label_smoothing=tcfg['labelSmoothing'])
    history = []
    for epoch in range(1, epochs + 1):
        t0 = time.time()
        model.train()
        if sampling_power == 0:
            order = torch.randperm(n)
        else:
            order = torch.multinomial(weights, n, replacement=True)
        total_loss, correct, seen = 0.0, 0, 0
        for s in range(steps):
            idx = order[s * bs:(s + 1) * bs]
            xb = augment(x_train[idx], cfg['augment']).contiguous(memory_format=torch.channels_last)
            yb = y_train[idx]
            logits = model(xb)
            loss = loss_fn(logits, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total_loss += loss.item() * len(yb)
            correct += (logits.argmax(1) == yb).sum().item()
            seen += len(yb)
        train_seconds = time.time() - t0
        probs = predict(model, x_val)
        val_loss = F.nll_loss(torch.log(probs.clamp_min(1e-12)), y_val).item()
        m = metrics(probs, y_val, n_classes)
        row = {'epoch': epoch, 'trainLoss': total_loss / seen, 'trainAccuracy': correct / seen, 'valLoss': val_loss,
               'valAccuracy': m['accuracy'], 'valMacroRecall': m['macroRecall'], 'lr': sched.get_last_lr()[0],
               'trainSeconds': round(train_seconds, 1), 'seconds': round(time.time() - t0, 1)}
        history.append(row)
        log(f'[{label}] epoch {epoch}/{epochs}: train loss {row["trainLoss"]:.4f} acc {row["trainAccuracy"]:.4f} | '
            f'val loss {val_loss:.4f} acc {m["accuracy"]:.4f} macro recall {m["macroRecall"]:.4f} | {row["seconds"]} s')
        if checkpoint:
            torch.save({'model': model.state_dict(), 'history': history, 'epoch': epoch,
                        'samplingPower': sampling_power}, checkpoint)
    final = {'plain': metrics(predict(model, x_val), y_val, n_classes),
             'flip': metrics(predict(model, x_val, flip=True), y_val, n_classes)}
    return model, history, final


def round_metrics(m):
    return {k: (round(v, 4) if isinstance(v, float) else [round(x, 4) for x in v] if k == 'perClassRecall' else v)
            for k, v in m.items()}


def step_compare(cfg, data, scratch):
    comp = cfg['balance']['comparison']
    results = {}
    for name, variant in comp['variants'].items():
        t0 = time.time()
        _, history, final = train_run(cfg, data, comp['epochs'], variant['samplingPower'], f'compare {name}')
        results[name] = {'samplingPower': variant['samplingPower'], 'epochs': comp['epochs'],
                         'seconds': round(time.time() - t0), 'history': history,
                         'final': {k: round_metrics(v) for k, v in final.items()}}
    plain = results['plain']['final']['plain']
    ok = [n for n, r in results.items() if r['final']['plain']['accuracy'] >= plain['accuracy'] - 0.005]
    winner = max(ok, key=lambda n: results[n]['final']['plain']['macroRecall'])
    out = {'rule': comp['rule'], 'winner': winner, 'samplingPower': results[winner]['samplingPower'],
           'variants': results}
    with open(os.path.join(HERE, 'comparison.json'), 'w') as f:
        json.dump(out, f, indent=2)
        f.write('\n')
    log(f'comparison winner: {winner}')
    return out


def chosen_power(cfg):
    mode = cfg['balance']['mode']
    if mode != 'auto':
        return cfg['balance']['comparison']['variants'][mode]['samplingPower'], mode
    with open(os.path.join(HERE, 'comparison.json')) as f:
        comp = json.load(f)
    return comp['samplingPower'], comp['winner']


def step_train(cfg, data, scratch):
    power, name = chosen_power(cfg)
    ckpt = os.path.join(scratch, f'{cfg["id"]}.pt')
    t0 = time.time()
    _, history, final = train_run(cfg, data, cfg['train']['epochs'], power, f'final {name}', checkpoint=ckpt)
    state = torch.load(ckpt)
    state.update({'final': final, 'balance': name, 'seconds': round(time.time() - t0)})
    torch.save(state, ckpt)
    log(f'final: plain {final["plain"]["accuracy"]:.4f}/{final["plain"]["macroRecall"]:.4f}, '
        f'flip {final["flip"]["accuracy"]:.4f}/{final["flip"]["macroRecall"]:.4f}, {state["seconds"]} s')


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
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2), dpi=100)
    ax1.plot(ep, [h['trainLoss'] for h in history], label='train (augmented, label-smoothed)')
    ax1.plot(ep, [h['valLoss'] for h in history], label='validation')
    ax1.set_xlabel('epoch'); ax1.set_ylabel('cross-entropy'); ax1.set_title('loss'); ax1.legend(); ax1.grid(alpha=.3)
    ax2.plot(ep, [h['trainAccuracy'] for h in history], label='train accuracy (augmented)')
    ax2.plot(ep, [h['valAccuracy'] for h in history], label='validation accuracy')
    ax2.plot(ep, [h['valMacroRecall'] for h in history], label='validation macro recall')
    if comparison:
        for name, r in comparison['variants'].items():
            ax2.plot([h['epoch'] for h in r['history']], [h['valMacroRecall'] for h in r['history']], ':',
                     label=f'{name} ({r["epochs"]}-epoch run): val macro recall')
    ax2.set_xlabel('epoch'); ax2.set_title('accuracy'); ax2.legend(fontsize=7); ax2.grid(alpha=.3)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, metadata={'Software': None})
    plt.close(fig)


def step_export(cfg, data, scratch):
    ckpt = torch.load(os.path.join(scratch, f'{cfg["id"]}.pt'))
    net = FerCnn(cfg['model']['stages'], cfg['model']['dropout'], len(cfg['classes']))
    net.load_state_dict(ckpt['model'])
    net = net.to(memory_format=torch.contiguous_format).eval()
    wrapped = WithSoftmax(net).eval()
    size = cfg['input']['size']
    onnx_path = os.path.join(MODELS, f'{cfg["id"]}.onnx')
    torch.onnx.export(wrapped, torch.zeros(1, 1, size, size), onnx_path, input_names=['face'],
                      output_names=['probabilities'], dynamic_axes={'face': {0: 'batch'}, 'probabilities': {0: 'batch'}},
                      opset_version=13, do_constant_folding=True, training=torch.onnx.TrainingMode.EVAL)
    onnx_sha = sha256_file(onnx_path)
    log(f'wrote {onnx_path} ({os.path.getsize(onnx_path)} bytes, sha256 {onnx_sha[:16]}…)')

    reference = {'model': cfg['id'], 'generatedWith': f'PyTorch {torch.__version__} (models/training/train.py)',
                 'note': 'Inputs: see models/export/equivalence/inputs.ts; outputs of the trained PyTorch model '
                         '(softmax), rewritten by `python3 models/training/train.py --step export`.',
                 'cases': reference_cases(cfg, wrapped)}
    with open(os.path.join(FIXTURES, f'{cfg["id"]}.json'), 'w') as f:
        json.dump(reference, f, separators=(',', ':'))

    comparison = None
    comp_path = os.path.join(HERE, 'comparison.json')
    if os.path.exists(comp_path):
        with open(comp_path) as f:
            comparison = json.load(f)
    history = ckpt['history']
    final = ckpt.get('final') or {}
    png = os.path.join(MODELS, f'{cfg["id"]}-learning-curves.png')
    title = (f'{cfg["id"]}: {len(history)} epochs, balance "{ckpt.get("balance")}", CPU 1 thread; '
             f'validation = FER2013 PublicTest less train duplicates ({data["info"]["validationImagesUsed"]} crops)')
    learning_curves_png(history, comparison, png, title)
    info = dict(data['info'])
    record = {
        'id': cfg['id'],
        'comment': 'Written by models/training/train.py; read by `npm run models:export` for the manifest entry.',
        'onnx': {'file': f'{cfg["id"]}.onnx', 'sha256': onnx_sha, 'bytes': os.path.getsize(onnx_path), 'opset': 13},
        'data': info,
        'config': cfg,
        'balance': ckpt.get('balance'),
        'samplingPower': ckpt.get('samplingPower'),
        'environment': {'torch': torch.__version__, 'numpy': np.__version__, 'python': platform.python_version(),
                        'machine': platform.machine(), 'threads': torch.get_num_threads(), 'device': 'cpu'},
        'trainingSeconds': ckpt.get('seconds'),
        'secondsPerEpoch': round(sum(h['seconds'] for h in history) / max(1, len(history)), 1),
        'validationPyTorch': {k: round_metrics(v) for k, v in final.items()},
        'history': history,
        'learningCurves': os.path.basename(png),
    }
    with open(os.path.join(HERE, f'{cfg["id"]}.record.json'), 'w') as f:
        json.dump(record, f, indent=2)
        f.write('\n')
    log('wrote fixtures, learning curves and training record')


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--config', default=os.path.join(HERE, 'config.json'))
    p.add_argument('--tarball', default=os.path.join(ROOT, '..', 'shared', 'data', 'fer2013-train', 'fer2013-train.tar.gz'))
    p.add_argument('--validation', default=os.path.join(ROOT, '..', 'shared', 'data', 'fer2013'))
    p.add_argument('--scratch', default=os.path.join(ROOT, '.scratch', 'training'), help='checkpoints (git-ignored)')
    p.add_argument('--step', choices=['all', 'compare', 'train', 'export'], default='all')
    p.add_argument('--epochs', type=int, help='override train.epochs (e.g. a quick timing run)')
    args = p.parse_args()
    with open(args.config) as f:
        cfg = json.load(f)
    if args.epochs:
        cfg['train']['epochs'] = args.epochs
    torch.set_num_threads(cfg['train']['threads'])
    os.makedirs(args.scratch, exist_ok=True)
    data = load_data(cfg, os.path.normpath(args.tarball), os.path.normpath(args.validation))
    if args.step in ('all', 'compare') and cfg['balance']['mode'] == 'auto':
        step_compare(cfg, data, args.scratch)
    if args.step in ('all', 'train'):
        step_train(cfg, data, args.scratch)
    if args.step in ('all', 'export'):
        step_export(cfg, data, args.scratch)


if __name__ == '__main__':
    sys.exit(main())
