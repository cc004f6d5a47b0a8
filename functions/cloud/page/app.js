// @ts-check
/**
 * memegen's upload page: choose or drop a photo, ask the `upload` function for a signed
 * upload URL, PUT the photo there (with progress), then poll the job's status document
 * until the meme is done and show it.
 *
 * Plain ES2022, no framework, no build step; type-checked by tsc (functions/cloud/page/tsconfig.json).
 */

// The documents exchanged with the upload function and the public bucket, declared once in
// functions/cloud/contract.ts.
/** @typedef {import('../contract').PageConfig} PageConfig  GET /api/config */
/** @typedef {import('../contract').UploadRequest} UploadRequest  POST /api/uploads */
/** @typedef {import('../contract').UploadTicket} UploadTicket  POST /api/uploads → 201 */
/** @typedef {import('../contract').StatusDocument} StatusDocument  memes/<id>.json */

/** @typedef {'upload' | 'analyze' | 'render'} StageName */
/** @typedef {'pending' | 'active' | 'done'} StageState */

const POLL_INTERVAL_MS = 500;
/** How long to wait for the meme after the upload before giving up on polling. */
const POLL_GIVE_UP_MS = 3 * 60 * 1000;
/** Consecutive failed status reads tolerated (network blips) before reporting an error. */
const POLL_MAX_ERRORS = 12;

/** Used until /api/config answers, and if it cannot be reached. */
/** @type {PageConfig} */
const FALLBACK_CONFIG = {
  maxBytes: 15 * 1024 * 1024,
  acceptedTypes: ['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif'],
  styles: ['classic', 'label', 'faces'],
  languages: ['en', 'zh'],
  defaultStyle: 'classic',
  defaultLang: 'en',
  maxCaptionCharacters: 500,
  maxCaptionBytes: 4096,
};

/** @type {Record<string, string>} */
const TYPE_NAMES = {
  'image/jpeg': 'JPEG',
  'image/png': 'PNG',
  'image/webp': 'WebP',
  'image/gif': 'GIF',
  'image/avif': 'AVIF',
  'image/heic': 'HEIC',
  'image/heif': 'HEIF',
  'image/tiff': 'TIFF',
  'image/bmp': 'BMP',
  'image/svg+xml': 'SVG',
};

/** A message for the person, as opposed to a bug. */
class UserFacingError extends Error {}

/** The upload was cancelled by the person. */
class Cancelled extends Error {}

// ---------------------------------------------------------------- elements

/**
 * @template {HTMLElement} T
 * @param {string} id
 * @param {{ new (): T }} type
 * @returns {T}
 */
function byId(id, type) {
  const element = document.getElementById(id);
  if (!(element instanceof type)) throw new Error(`the page has no #${id} ${type.name}`);
  return element;
}

const ui = {
  main: byId('main', HTMLElement),
  form: byId('upload-form', HTMLFormElement),
  fileInput: byId('file-input', HTMLInputElement),
  dropZone: byId('drop-zone', HTMLLabelElement),
  dropEmpty: byId('drop-empty', HTMLElement),
  dropPreview: byId('drop-preview', HTMLElement),
  previewImage: byId('preview-image', HTMLImageElement),
  previewFallback: byId('preview-fallback', HTMLElement),
  previewName: byId('preview-name', HTMLElement),
  previewDetails: byId('preview-details', HTMLElement),
  fileMessage: byId('file-message', HTMLElement),
  formMessage: byId('form-message', HTMLElement),
  captionTop: byId('caption-top', HTMLInputElement),
  captionBottom: byId('caption-bottom', HTMLInputElement),
  uploadButton: byId('upload-button', HTMLButtonElement),
  progressView: byId('progress-view', HTMLElement),
  progressTitle: byId('progress-title', HTMLElement),
  progressLive: byId('progress-live', HTMLElement),
  progressThumb: byId('progress-thumb', HTMLImageElement),
  uploadProgress: byId('upload-progress', HTMLProgressElement),
  uploadNote: byId('upload-note', HTMLElement),
  analyzeNote: byId('analyze-note', HTMLElement),
  renderNote: byId('render-note', HTMLElement),
  cancelButton: byId('cancel-button', HTMLButtonElement),
  resultView: byId('result-view', HTMLElement),
  resultTitle: byId('result-title', HTMLElement),
  resultImage: byId('result-image', HTMLImageElement),
  resultCaption: byId('result-caption', HTMLElement),
  downloadLink: byId('download-link', HTMLAnchorElement),
  copyButton: byId('copy-button', HTMLButtonElement),
  copyStatus: byId('copy-status', HTMLElement),
  anotherButton: byId('another-button', HTMLButtonElement),
};

const STAGE_NOTES = {
  analyze: 'finding faces and reading expressions',
  render: 'writing the caption on the photo',
};

// ---------------------------------------------------------------- state

/** @type {PageConfig} */
let config = FALLBACK_CONFIG;
const configLoaded = loadConfig();

/** The photo chosen and accepted by the checks, if any. */
/** @type {File | undefined} */
let chosenFile;
/** @type {string | undefined} */
let previewUrl;
/** Aborts the job in progress (upload or polling). */
/** @type {AbortController | undefined} */
let job;

// ---------------------------------------------------------------- formatting

/**
 * Bytes as people read them: "840 KB", "2.4 MB" (1 MB = 1,048,576 bytes, as the server counts).
 * @param {number} bytes
 * @returns {string}
 */
function formatBytes(bytes) {
  if (bytes < 1024) return `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}`;
  if (bytes < 1024 * 1024) return `${Math.max(1, Math.round(bytes / 1024))} KB`;
  const mb = bytes / (1024 * 1024);
  return `${mb >= 100 ? Math.round(mb) : Number(mb.toFixed(1))} MB`;
}

/**
 * A file's size and the limit, precise enough that they never read the same.
 * @param {number} size
 * @param {number} limit
 * @returns {[string, string]}
 */
function formatSizeAndLimit(size, limit) {
  const a = formatBytes(size);
  const b = formatBytes(limit);
  if (a !== b) return [a, b];
  const exact = new Intl.NumberFormat('en');
  return [`${exact.format(size)} bytes`, `${exact.format(limit)} bytes`];
}

/**
 * "JPEG, PNG, WebP, GIF or AVIF"
 * @param {readonly string[]} types
 */
function typeList(types) {
  const names = types.map((type) => TYPE_NAMES[type] ?? type.replace(/^image\//, '').toUpperCase());
  return names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}

/** The text, ending with a full stop. @param {string} text */
function sentence(text) {
  const trimmed = text.trim();
  return /[.!?。！？]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

/** @param {string} text */
function capitalize(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// ---------------------------------------------------------------- config

/** @returns {Promise<void>} */
async function loadConfig() {
  try {
    const response = await fetch('api/config', {
      cache: 'no-store',
      headers: { accept: 'application/json' },
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const body = /** @type {Partial<PageConfig>} */ (await response.json());
    config = { ...FALLBACK_CONFIG, ...body };
  } catch (error) {
    console.warn('memegen: /api/config could not be read; using the default limits', error);
  }
  applyConfig();
}

function applyConfig() {
  for (const element of document.querySelectorAll('[data-max-bytes]'))
    element.textContent = formatBytes(config.maxBytes);
  const hint = document.getElementById('drop-hint');
  if (hint?.firstChild?.nodeType === Node.TEXT_NODE)
    hint.firstChild.textContent = `${typeList(config.acceptedTypes)}, up to `;
  ui.fileInput.accept = config.acceptedTypes.join(',');
  for (const input of radios('style')) {
    const offered = isOneOf(config.styles, input.value);
    input.disabled = !offered;
    input.closest('label')?.toggleAttribute('hidden', !offered);
    if (input.value === config.defaultStyle && offered) input.checked = true;
  }
  for (const input of radios('lang')) {
    const offered = isOneOf(config.languages, input.value);
    input.disabled = !offered;
    input.closest('label')?.toggleAttribute('hidden', !offered);
    if (input.value === config.defaultLang && offered) input.checked = true;
  }
  // A file chosen before the limits arrived is checked again against the real ones.
  if (chosenFile) {
    const problem = fileProblem(chosenFile);
    if (problem) rejectFile(problem);
  }
  document.documentElement.dataset.config = 'loaded';
}

/**
 * @param {string} name
 * @returns {HTMLInputElement[]}
 */
function radios(name) {
  return [...ui.form.querySelectorAll(`input[type="radio"][name="${name}"]`)].filter(
    /** @returns {input is HTMLInputElement} */ (input) => input instanceof HTMLInputElement,
  );
}

/**
 * The checked radio button's value, if it is one of `choices`.
 * @template {string} T
 * @param {string} name
 * @param {readonly T[]} choices
 * @returns {T | undefined}
 */
function checkedChoice(name, choices) {
  const value = radios(name).find((input) => input.checked)?.value;
  return choices.find((choice) => choice === value);
}

/**
 * Whether a string from the page is one of a typed list's values.
 * @param {readonly string[]} list
 * @param {string} value
 */
function isOneOf(list, value) {
  return list.includes(value);
}

// ---------------------------------------------------------------- choosing a photo

/**
 * Why this file cannot be uploaded, in plain words, or undefined if it can.
 * @param {File} file
 * @returns {string | undefined}
 */
function fileProblem(file) {
  const type = file.type.toLowerCase();
  if (!isOneOf(config.acceptedTypes, type)) {
    const accepted = typeList(config.acceptedTypes);
    if (type.startsWith('image/')) {
      const kind = TYPE_NAMES[type] ?? type.slice('image/'.length).toUpperCase();
      return `“${file.name}” is a ${kind} image, which memegen can't read. Choose a ${accepted} picture.`;
    }
    return `“${file.name}” is not a picture. Choose a ${accepted} image.`;
  }
  if (file.size === 0) return `“${file.name}” is empty (0 bytes). Choose another picture.`;
  if (file.size > config.maxBytes) {
    const [size, limit] = formatSizeAndLimit(file.size, config.maxBytes);
    return `“${file.name}” is too large: it is ${size}, and the limit is ${limit}. Choose a smaller picture, or shrink this one first.`;
  }
  return undefined;
}

/** @param {File | undefined | null} file */
function chooseFile(file) {
  hideMessage(ui.formMessage);
  if (!file) return;
  const problem = fileProblem(file);
  if (problem) {
    rejectFile(problem);
    return;
  }
  hideMessage(ui.fileMessage);
  chosenFile = file;
  showPreview(file);
  ui.uploadButton.disabled = false;
}

/** @param {string} problem */
function rejectFile(problem) {
  clearFile();
  ui.dropZone.classList.add('has-error');
  showMessage(ui.fileMessage, problem);
}

function clearFile() {
  chosenFile = undefined;
  ui.fileInput.value = '';
  if (previewUrl) URL.revokeObjectURL(previewUrl);
  previewUrl = undefined;
  ui.previewImage.removeAttribute('src');
  ui.dropPreview.hidden = true;
  ui.dropEmpty.hidden = false;
  ui.dropZone.classList.remove('has-file', 'has-error');
  ui.uploadButton.disabled = true;
}

/** @param {File} file */
function showPreview(file) {
  if (previewUrl) URL.revokeObjectURL(previewUrl);
  previewUrl = URL.createObjectURL(file);
  ui.previewName.textContent = file.name;
  ui.previewDetails.textContent = `${TYPE_NAMES[file.type] ?? file.type} · ${formatBytes(file.size)}`;
  ui.previewImage.hidden = false;
  ui.previewFallback.hidden = true;
  ui.previewImage.onload = () => {
    ui.previewDetails.textContent = `${TYPE_NAMES[file.type] ?? file.type} · ${formatBytes(file.size)} · ${ui.previewImage.naturalWidth}×${ui.previewImage.naturalHeight}`;
  };
  ui.previewImage.onerror = () => {
    // Not every picture previews (AVIF in older browsers); memegen will still try.
    ui.previewImage.hidden = true;
    ui.previewFallback.hidden = false;
  };
  ui.previewImage.src = previewUrl;
  ui.previewImage.alt = `Preview of ${file.name}`;
  ui.dropEmpty.hidden = true;
  ui.dropPreview.hidden = false;
  ui.dropZone.classList.remove('has-error');
  ui.dropZone.classList.add('has-file');
}

/**
 * @param {HTMLElement} element
 * @param {string} text
 */
function showMessage(element, text) {
  element.textContent = text;
  element.hidden = false;
}

/** @param {HTMLElement} element */
function hideMessage(element) {
  element.hidden = true;
  element.textContent = '';
}

/** @param {DragEvent} event */
function hasFiles(event) {
  return event.dataTransfer !== null && [...event.dataTransfer.types].includes('Files');
}

function formVisible() {
  return !ui.form.hidden;
}

ui.fileInput.addEventListener('change', () => chooseFile(ui.fileInput.files?.[0]));

let dragDepth = 0;
ui.dropZone.addEventListener('dragenter', (event) => {
  if (!hasFiles(event)) return;
  event.preventDefault();
  dragDepth++;
  ui.dropZone.classList.add('is-dragging');
});
ui.dropZone.addEventListener('dragover', (event) => {
  if (!hasFiles(event)) return;
  event.preventDefault();
  if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
});
ui.dropZone.addEventListener('dragleave', () => {
  dragDepth = Math.max(0, dragDepth - 1);
  if (dragDepth === 0) ui.dropZone.classList.remove('is-dragging');
});
ui.dropZone.addEventListener('drop', (event) => {
  event.preventDefault();
  event.stopPropagation();
  dragDepth = 0;
  ui.dropZone.classList.remove('is-dragging');
  chooseFile(event.dataTransfer?.files[0]);
});
// A photo dropped anywhere else on the page is taken too, rather than opened by the browser.
window.addEventListener('dragover', (event) => {
  if (hasFiles(event)) event.preventDefault();
});
window.addEventListener('drop', (event) => {
  if (!hasFiles(event)) return;
  event.preventDefault();
  if (formVisible()) chooseFile(event.dataTransfer?.files[0]);
});
// And a picture pasted from the clipboard.
document.addEventListener('paste', (event) => {
  const file = event.clipboardData?.files[0];
  if (!file || !formVisible()) return;
  event.preventDefault();
  chooseFile(file);
});

// ---------------------------------------------------------------- uploading

ui.form.addEventListener('submit', (event) => {
  event.preventDefault();
  void makeMeme();
});

ui.cancelButton.addEventListener('click', () => {
  job?.abort(new Cancelled('cancelled'));
  showView('form');
  ui.uploadButton.focus();
});

async function makeMeme() {
  await configLoaded;
  const file = chosenFile;
  if (!file) {
    rejectFile('Choose a photo first: drop it on the box, or click the box to pick one.');
    return;
  }
  const problem = fileProblem(file);
  if (problem) {
    rejectFile(problem);
    return;
  }
  hideMessage(ui.formMessage);
  const controller = new AbortController();
  job = controller;
  startProgress(file);
  try {
    const ticket = await requestUpload(file, controller.signal);
    await putFile(ticket, file, controller.signal);
    setStage('upload', 'done', 'done');
    setStage('analyze', 'active', 'waiting for its turn');
    announce('Uploaded. Waiting for memegen to analyze the photo.');
    const status = await pollUntilFinished(ticket, controller.signal);
    await showResult(ticket, status, file, controller.signal);
  } catch (error) {
    if (controller.signal.aborted) return;
    showView('form');
    const message =
      error instanceof UserFacingError
        ? error.message
        : `Something went wrong: ${error instanceof Error ? error.message : String(error)}. Please try again.`;
    if (!(error instanceof UserFacingError)) console.error(error);
    showMessage(ui.formMessage, message);
    ui.uploadButton.focus();
  } finally {
    if (job === controller) job = undefined;
  }
}

/**
 * POST /api/uploads: a signed URL for this photo.
 * @param {File} file
 * @param {AbortSignal} signal
 * @returns {Promise<UploadTicket>}
 */
async function requestUpload(file, signal) {
  const top = ui.captionTop.value.trim();
  const bottom = ui.captionBottom.value.trim();
  /** @type {UploadRequest} */
  const body = {
    contentType: file.type.toLowerCase(),
    size: file.size,
    style: checkedChoice('style', config.styles) ?? config.defaultStyle,
    lang: checkedChoice('lang', config.languages) ?? config.defaultLang,
    ...((top || bottom) && { caption: { ...(top && { top }), ...(bottom && { bottom }) } }),
  };
  /** @type {Response} */
  let response;
  try {
    response = await fetch('api/uploads', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      signal,
    });
  } catch (error) {
    if (signal.aborted) throw error;
    throw new UserFacingError("memegen can't be reached right now. Check your connection and try again.");
  }
  /** @type {unknown} */
  let answer;
  try {
    answer = await response.json();
  } catch {
    answer = undefined;
  }
  if (!response.ok) {
    const reason =
      answer && typeof answer === 'object' && 'error' in answer && typeof answer.error === 'string'
        ? answer.error
        : undefined;
    const code = answer && typeof answer === 'object' && 'code' in answer ? answer.code : undefined;
    if (reason && code === 'TOO_LARGE')
      throw new UserFacingError(`“${file.name}” is too large: ${sentence(reason)}`);
    if (reason && code === 'UNSUPPORTED_TYPE')
      throw new UserFacingError(`“${file.name}” can't be used: ${sentence(reason)}`);
    if (reason) throw new UserFacingError(capitalize(sentence(reason)));
    throw new UserFacingError(
      `memegen could not start the upload (HTTP ${response.status}). Please try again.`,
    );
  }
  const ticket = /** @type {UploadTicket} */ (answer);
  if (!ticket || typeof ticket.uploadUrl !== 'string' || typeof ticket.statusUrl !== 'string') {
    throw new UserFacingError(
      'memegen answered the upload request with something unexpected. Please try again.',
    );
  }
  return ticket;
}

/**
 * PUTs the photo to the signed URL with exactly the headers that were signed, reporting progress.
 * @param {UploadTicket} ticket
 * @param {File} file
 * @param {AbortSignal} signal
 * @returns {Promise<void>}
 */
function putFile(ticket, file, signal) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(ticket.uploadMethod || 'PUT', ticket.uploadUrl);
    for (const [name, value] of Object.entries(ticket.uploadHeaders ?? {})) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) setUploadProgress(event.loaded / event.total);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        setUploadProgress(1);
        resolve();
        return;
      }
      reject(
        new UserFacingError(
          `The photo was not accepted by storage (HTTP ${xhr.status}${storageReason(xhr.responseText)}). Please try again.`,
        ),
      );
    };
    xhr.onerror = () =>
      reject(new UserFacingError('The upload was interrupted. Check your connection and try again.'));
    xhr.ontimeout = () =>
      reject(new UserFacingError('The upload took too long. Check your connection and try again.'));
    xhr.onabort = () => reject(signal.reason ?? new Cancelled('cancelled'));
    signal.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(file);
  });
}

/**
 * The <Message> of a Cloud Storage XML error, as ": message", or "".
 * @param {string} text
 */
function storageReason(text) {
  if (!text) return '';
  try {
    const xml = new DOMParser().parseFromString(text, 'application/xml');
    const message =
      xml.querySelector('Message')?.textContent?.trim() || xml.querySelector('Code')?.textContent?.trim();
    if (message) return `: ${message}`;
  } catch {
    // not XML
  }
  return '';
}

/**
 * Reads the status document every POLL_INTERVAL_MS until the job is done or failed.
 * @param {UploadTicket} ticket
 * @param {AbortSignal} signal
 * @returns {Promise<StatusDocument>}
 */
async function pollUntilFinished(ticket, signal) {
  const started = Date.now();
  let errors = 0;
  for (;;) {
    if (signal.aborted) throw signal.reason;
    /** @type {StatusDocument | undefined} */
    let status;
    try {
      const url = new URL(ticket.statusUrl, location.href);
      const response = await fetch(url, {
        cache: 'no-store',
        signal,
        headers: { accept: 'application/json' },
      });
      if (response.ok) status = /** @type {StatusDocument} */ (await response.json());
      else if (response.status !== 404) throw new Error(`HTTP ${response.status}`);
      errors = 0;
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      if (++errors >= POLL_MAX_ERRORS)
        throw new UserFacingError(
          `memegen's progress could not be read (${error instanceof Error ? error.message : String(error)}). Your meme may still appear at ${ticket.resultUrl}.`,
        );
    }
    if (status) {
      showStatus(status);
      if (status.state === 'done') return status;
      if (status.state === 'failed') {
        throw new UserFacingError(
          `memegen couldn't make a meme of this photo: ${sentence(status.error ?? 'it failed without saying why')}`,
        );
      }
    }
    if (Date.now() - started > POLL_GIVE_UP_MS) {
      throw new UserFacingError(
        `This is taking much longer than usual, so the page stopped waiting. Your meme may still appear at ${ticket.resultUrl}.`,
      );
    }
    await sleep(POLL_INTERVAL_MS, signal);
  }
}

/**
 * @param {number} ms
 * @param {AbortSignal} signal
 * @returns {Promise<void>}
 */
function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

// ---------------------------------------------------------------- progress

/** @param {File} file */
function startProgress(file) {
  if (previewUrl) ui.progressThumb.src = previewUrl;
  ui.progressThumb.alt = `The photo being turned into a meme: ${file.name}`;
  ui.progressTitle.textContent = 'Making your meme…';
  setStage('upload', 'active', '0%');
  setStage('analyze', 'pending', STAGE_NOTES.analyze);
  setStage('render', 'pending', STAGE_NOTES.render);
  ui.uploadProgress.value = 0;
  lastAnnounced = '';
  showView('progress');
  announce(`Uploading ${file.name}.`);
  focusView(ui.progressTitle);
}

/**
 * @param {StageName} stage
 * @param {StageState} state
 * @param {string} note
 */
function setStage(stage, state, note) {
  const item = ui.progressView.querySelector(`.stage[data-stage="${stage}"]`);
  if (!(item instanceof HTMLElement)) return;
  item.dataset.state = state;
  if (state === 'active') item.setAttribute('aria-current', 'step');
  else item.removeAttribute('aria-current');
  const noteElement =
    stage === 'upload' ? ui.uploadNote : stage === 'analyze' ? ui.analyzeNote : ui.renderNote;
  noteElement.textContent = note;
}

/** @param {number} fraction */
function setUploadProgress(fraction) {
  const percent = Math.min(100, Math.round(fraction * 100));
  ui.uploadProgress.value = percent;
  ui.uploadProgress.setAttribute('aria-valuetext', `${percent}%`);
  ui.uploadNote.textContent = `${percent}%`;
}

/** The stages as the status document tells them. @param {StatusDocument} status */
function showStatus(status) {
  switch (status.state) {
    case 'queued':
      setStage('analyze', 'active', 'waiting for its turn');
      break;
    case 'analyzing':
      setStage('analyze', 'active', STAGE_NOTES.analyze);
      announce('Analyzing: finding faces and reading expressions.');
      break;
    case 'rendering':
      setStage('analyze', 'done', facesSummary(status));
      setStage('render', 'active', STAGE_NOTES.render);
      announce(`Rendering. ${capitalize(facesSummary(status))}.`);
      break;
    case 'done':
      setStage('analyze', 'done', facesSummary(status));
      setStage('render', 'done', 'done');
      break;
    default:
      break;
  }
}

/** "2 faces: happy, neutral" @param {StatusDocument} status */
function facesSummary(status) {
  const faces = status.faces;
  if (!faces) return 'done';
  if (faces.length === 0) return 'no faces found';
  const moods = faces.slice(0, 4).map((face) => face.dominant);
  return `${faces.length} ${faces.length === 1 ? 'face' : 'faces'}: ${moods.join(', ')}${faces.length > 4 ? ', …' : ''}`;
}

let lastAnnounced = '';
/** Tells screen readers about a change of stage (once per message). @param {string} text */
function announce(text) {
  if (text === lastAnnounced) return;
  lastAnnounced = text;
  ui.progressLive.textContent = text;
}

// ---------------------------------------------------------------- the meme

/**
 * @param {UploadTicket} ticket
 * @param {StatusDocument} status
 * @param {File} file
 * @param {AbortSignal} signal
 */
async function showResult(ticket, status, file, signal) {
  const resultUrl = status.resultUrl || ticket.resultUrl;
  await loadImage(ui.resultImage, resultUrl, signal);
  const caption = [status.caption?.top, status.caption?.bottom].filter(Boolean).join(' / ');
  ui.resultImage.alt = caption ? `Your meme, captioned: ${caption}` : `Your meme made from ${file.name}`;
  const details = [];
  if (status.faces) details.push(capitalize(facesSummary(status)));
  if (status.caption?.source === 'library') details.push('caption picked by memegen');
  if (status.meme)
    details.push(`${status.meme.width}×${status.meme.height}, ${formatBytes(status.meme.bytes)}`);
  if (status.timings?.totalMs !== undefined)
    details.push(`made in ${(status.timings.totalMs / 1000).toFixed(1)} s`);
  ui.resultCaption.textContent = details.join(' · ');
  ui.downloadLink.href = resultUrl;
  ui.downloadLink.download = downloadName(file.name, resultUrl);
  ui.copyStatus.textContent = '';
  showView('result');
  focusView(ui.resultTitle);
}

/**
 * Sets an image's source and waits for it to load (retrying a few times: the object may reach
 * a CDN a moment after its status says done).
 * @param {HTMLImageElement} image
 * @param {string} url
 * @param {AbortSignal} signal
 */
async function loadImage(image, url, signal) {
  for (let attempt = 0; ; attempt++) {
    const src = attempt === 0 ? url : `${url}${url.includes('?') ? '&' : '?'}retry=${attempt}`;
    const loaded = await new Promise((resolve) => {
      image.onload = () => resolve(true);
      image.onerror = () => resolve(false);
      image.src = src;
    });
    if (loaded) return;
    if (attempt >= 4)
      throw new UserFacingError(`Your meme was made, but it could not be shown. It is at ${url}.`);
    await sleep(800, signal);
  }
}

/**
 * "photo.jpg" → "photo-meme.jpg", with the meme's own extension.
 * @param {string} original
 * @param {string} resultUrl
 */
function downloadName(original, resultUrl) {
  const extension = /\.([a-z0-9]+)(?:$|\?)/i.exec(new URL(resultUrl, location.href).pathname)?.[1] ?? 'jpg';
  const base =
    original
      .replace(/\.[^.]*$/, '')
      .replace(/[^\p{L}\p{N}_-]+/gu, '-')
      .replace(/^-+|-+$/g, '') || 'memegen';
  return `${base}-meme.${extension}`;
}

// The meme lives on another origin, where the download attribute alone is ignored: fetch it
// and save it from a blob; if that fails, the link still opens the meme.
ui.downloadLink.addEventListener('click', async (event) => {
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey || event.button !== 0) return;
  const link = ui.downloadLink;
  if (new URL(link.href).origin === location.origin) return;
  event.preventDefault();
  try {
    const response = await fetch(link.href, { cache: 'no-store' });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const url = URL.createObjectURL(await response.blob());
    const save = document.createElement('a');
    save.href = url;
    save.download = link.download;
    document.body.append(save);
    save.click();
    save.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  } catch {
    window.open(link.href, '_blank', 'noopener');
  }
});

ui.copyButton.addEventListener('click', async () => {
  try {
    await navigator.clipboard.writeText(ui.downloadLink.href);
    ui.copyStatus.textContent = 'Link copied. Anyone with the link can see this meme.';
  } catch {
    ui.copyStatus.textContent = `Copy this link: ${ui.downloadLink.href}`;
  }
});

ui.anotherButton.addEventListener('click', () => {
  reset();
  ui.fileInput.focus();
});

/** Back to an empty form (the style and language chosen are kept). */
function reset() {
  job?.abort(new Cancelled('reset'));
  clearFile();
  ui.captionTop.value = '';
  ui.captionBottom.value = '';
  hideMessage(ui.fileMessage);
  hideMessage(ui.formMessage);
  ui.resultImage.removeAttribute('src');
  ui.resultImage.alt = '';
  ui.resultCaption.textContent = '';
  ui.downloadLink.href = '#';
  ui.progressThumb.removeAttribute('src');
  showView('form');
}

/**
 * Moves focus to a view's heading, and scrolls the card into sight only if it is out of it
 * (after a scroll down to the Upload button on a phone).
 * @param {HTMLElement} heading
 */
function focusView(heading) {
  heading.focus({ preventScroll: true });
  const top = ui.main.getBoundingClientRect().top;
  if (top < 0 || top > window.innerHeight / 2) {
    const smooth = !window.matchMedia('(prefers-reduced-motion: reduce)').matches;
    ui.main.scrollIntoView({ block: 'start', behavior: smooth ? 'smooth' : 'auto' });
  }
}

/** @param {'form' | 'progress' | 'result'} view */
function showView(view) {
  ui.form.hidden = view !== 'form';
  ui.progressView.hidden = view !== 'progress';
  ui.resultView.hidden = view !== 'result';
  document.body.dataset.view = view;
}

showView('form');

export {};
