// Progressive enhancement of the documents page: drag-and-drop, one upload request per file with its own progress,
// and each job followed live (server-sent events) until its document is searchable or has failed.
import { antiforgeryToken } from './app.js';

const form = document.getElementById('upload-form');
const input = document.getElementById('upload-files');
const dropZone = document.getElementById('drop-zone');
const list = document.getElementById('upload-list');

const jobText = {
  queued: () => 'Waiting to be indexed',
  processing: (job) => `Indexing… ${Math.round((job.progress ?? 0) * 100)}%`,
  completed: () => 'Searchable',
  failed: (job) => `Failed: ${job.error ?? 'the document could not be read'}`,
  cancelled: () => 'Cancelled',
};

function isFinal(status) {
  return status === 'completed' || status === 'failed' || status === 'cancelled';
}

/** Follows a job's events; onChange gets each job state, onEnd a message if the stream broke before the end. */
function watchJob(jobId, onChange, onLost) {
  let attempts = 0;
  const open = () => {
    const source = new EventSource(`/app-api/jobs/${encodeURIComponent(jobId)}/events`);
    let final = false;
    source.addEventListener('job', (event) => {
      attempts = 0;
      const job = JSON.parse(event.data);
      onChange(job);
      if (isFinal(job.status)) {
        final = true;
        source.close();
      }
    });
    source.onerror = () => {
      source.close();
      if (final) return;
      if (++attempts > 5) {
        onLost('Lost touch with the status updates. Reload the page to see the latest.');
        return;
      }
      setTimeout(open, 1000 * attempts);
    };
  };
  open();
}

function addItem(file) {
  const item = document.createElement('li');
  item.className = 'upload-item';
  const name = document.createElement('span');
  name.className = 'file-name';
  name.textContent = file.name;
  const progress = document.createElement('progress');
  progress.max = 100;
  progress.value = 0;
  progress.setAttribute('aria-label', `Upload of ${file.name}`);
  const status = document.createElement('span');
  status.className = 'upload-status';
  status.textContent = 'Uploading…';
  item.append(name, progress, status);
  list.prepend(item);
  return {
    progress(percent) { progress.value = percent; },
    state(text, kind) {
      status.textContent = text;
      item.dataset.state = kind;
      if (kind !== 'uploading') progress.hidden = kind !== 'indexing';
    },
  };
}

function problemText(problem, status) {
  if (status === 401) return 'Please sign in to upload documents.';
  if (status === 403) return 'You may not add documents to this collection.';
  const file = problem?.files?.[0]?.error;
  if (file) return `${file.title}. ${file.detail}`;
  if (problem?.title) return [problem.title, problem.detail].filter(Boolean).join('. ');
  return status >= 500 ? 'The service is unavailable right now. Please try again in a moment.' : `Not accepted (${status}).`;
}

function upload(file, collection, tags) {
  const item = addItem(file);
  const body = new FormData();
  body.append('collection', collection);
  body.append('tags', tags);
  body.append('files', file, file.name);

  // XMLHttpRequest, not fetch: it reports upload progress.
  const request = new XMLHttpRequest();
  request.open('POST', '/app-api/documents');
  request.setRequestHeader('RequestVerificationToken', antiforgeryToken());
  request.setRequestHeader('Accept', 'application/json');
  request.upload.onprogress = (event) => {
    if (event.lengthComputable) item.progress(Math.round((event.loaded / event.total) * 100));
  };
  request.onerror = () => item.state('Could not reach the server. Check your connection and try again.', 'failed');
  request.onload = () => {
    let answer = null;
    try { answer = JSON.parse(request.responseText); } catch { /* problem text falls back to the status */ }
    if (request.status !== 202) {
      item.state(problemText(answer, request.status), 'failed');
      return;
    }
    const accepted = answer.documents[0];
    if (accepted.status === 'rejected') {
      item.state(problemText({ files: [accepted] }, 400), 'failed');
    } else if (accepted.status === 'duplicate') {
      item.state('Already in the library', 'done');
    } else {
      item.progress(0);
      item.state(jobText.queued(), 'indexing');
      watchJob(accepted.job_id, (job) => {
        item.progress(Math.round((job.progress ?? 0) * 100));
        item.state((jobText[job.status] ?? (() => job.status))(job), job.status === 'completed' ? 'done' : job.status === 'failed' ? 'failed' : 'indexing');
      }, (message) => item.state(message, 'failed'));
    }
  };
  request.send(body);
}

function uploadAll(files) {
  const collection = form.elements.collection.value.trim() || 'default';
  const tags = form.elements.tags.value;
  for (const file of files) upload(file, collection, tags);
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  uploadAll(input.files);
  form.reset();
  form.elements.collection.value = form.elements.collection.defaultValue;
});

for (const type of ['dragenter', 'dragover']) {
  dropZone.addEventListener(type, (event) => { event.preventDefault(); dropZone.classList.add('over'); });
}
for (const type of ['dragleave', 'drop']) {
  dropZone.addEventListener(type, () => dropZone.classList.remove('over'));
}
dropZone.addEventListener('drop', (event) => {
  event.preventDefault();
  if (event.dataTransfer?.files?.length) uploadAll(event.dataTransfer.files);
});

// Documents still being indexed when the page was rendered update in place.
for (const cell of document.querySelectorAll('[data-job-id]')) {
  if (!cell.dataset.jobId) continue;
  watchJob(cell.dataset.jobId, (job) => {
    cell.textContent = { queued: 'Waiting', processing: 'Indexing', completed: 'Searchable', failed: 'Failed' }[job.status] ?? job.status;
    cell.className = `status status-${job.status}`;
  }, () => {});
}
