// Streaming chat: POST /app-api/chat answers with server-sent events (sources, then deltas, then done), read with
// fetch + ReadableStream because EventSource cannot POST. Text is never inserted as HTML while it streams; once done,
// the server renders the answer's Markdown with raw HTML disabled. Each [n] becomes a button that opens its source.
import { appApiHeaders, describeFailure } from './app.js';

const chat = document.getElementById('chat');
const form = document.getElementById('ask-form');
const messages = document.getElementById('messages');
const sendButton = document.getElementById('ask-send');
const stopButton = document.getElementById('ask-stop');
const status = document.getElementById('chat-status');
const panel = document.getElementById('source-panel');
const panelBody = document.getElementById('source-body');
const panelHeading = document.getElementById('source-heading');

let conversationId = chat.dataset.conversationId || null;
let running = null;
let lastCitation = null;

function addMessage(role, text) {
  document.getElementById('chat-intro')?.remove();
  const element = document.createElement('div');
  element.className = `message ${role}`;
  if (text) element.textContent = text;
  messages.append(element);
  element.scrollIntoView({ block: 'end' });
  return element;
}

/** Text with each [n] that names a source turned into a button; built from DOM nodes, so nothing is parsed as HTML. */
function citedNodes(text, sources) {
  const nodes = [];
  let last = 0;
  for (const match of text.matchAll(/\[(\d{1,3})\]/g)) {
    const source = sources.get(Number(match[1]));
    if (!source) continue;
    nodes.push(document.createTextNode(text.slice(last, match.index)));
    nodes.push(citationButton(Number(match[1]), source));
    last = match.index + match[0].length;
  }
  nodes.push(document.createTextNode(text.slice(last)));
  return nodes;
}

function citationButton(number, source) {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'citation';
  button.textContent = `[${number}]`;
  button.setAttribute('aria-label', `Source ${number}: ${source.title ?? 'passage'}`);
  button.addEventListener('click', () => openSource(number, source, button));
  return button;
}

/** Turns [n] inside the server-rendered answer into buttons, text node by text node. */
function linkCitations(root, sources) {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const textNodes = [];
  while (walker.nextNode()) textNodes.push(walker.currentNode);
  for (const node of textNodes) {
    if (/\[\d{1,3}\]/.test(node.nodeValue)) node.replaceWith(...citedNodes(node.nodeValue, sources));
  }
}

function openSource(number, source, trigger) {
  lastCitation = trigger;
  panelBody.replaceChildren();
  const title = document.createElement('h3');
  title.textContent = `[${number}] ${source.title ?? 'Untitled'}`;
  const where = document.createElement('p');
  where.className = 'meta';
  const parts = [];
  if (source.section) parts.push(source.section);
  if (source.page != null) parts.push(`page ${source.page}`);
  where.textContent = parts.join(' · ');
  const quote = document.createElement('blockquote');
  quote.textContent = source.text ?? '';
  panelBody.append(title, where, quote);
  panel.hidden = false;
  chat.classList.add('with-source');
  panelHeading.focus();
}

document.getElementById('source-close').addEventListener('click', () => {
  panel.hidden = true;
  chat.classList.remove('with-source');
  lastCitation?.focus();
});

/** The API's sources by the number [n] the answer cites them with. */
function readSources(data) {
  const list = Array.isArray(data) ? data : (data.sources ?? []);
  return new Map(list.map((source, i) => [source.n ?? source.number ?? i + 1, source]));
}

function deltaText(data) {
  return typeof data === 'string' ? data : (data.text ?? data.delta ?? data.content ?? '');
}

/** Splits a server-sent event stream into {event, data} records as bytes arrive. */
async function* readEvents(response, signal) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  signal.addEventListener('abort', () => reader.cancel().catch(() => {}));
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n/g, '\n');
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length) yield { event, data: data.join('\n') };
    }
  }
}

function parse(data) {
  try { return JSON.parse(data); } catch { return data; }
}

function showFailure(element, text) {
  element.classList.add('failed');
  element.setAttribute('role', 'alert');
  element.textContent = text;
}

function setRunning(controller) {
  running = controller;
  sendButton.disabled = !!controller;
  stopButton.hidden = !controller;
  messages.setAttribute('aria-busy', controller ? 'true' : 'false');
}

async function renderFinal(element, text, sources) {
  const response = await fetch('/app-api/markdown', {
    method: 'POST',
    headers: appApiHeaders({ 'Content-Type': 'application/json' }),
    body: JSON.stringify({ text }),
  });
  if (!response.ok) return;
  // Safe: the server's Markdig pipeline has raw HTML disabled, so this is Markdown's own markup only.
  element.innerHTML = await response.text();
  linkCitations(element, sources);
}

function rememberConversation(id, question) {
  if (!id || id === conversationId) return;
  conversationId = id;
  history.replaceState(null, '', `/chat/${id}`);
  const item = document.createElement('li');
  const link = document.createElement('a');
  link.href = `/chat/${id}`;
  link.textContent = question.length > 60 ? `${question.slice(0, 57)}…` : question;
  link.setAttribute('aria-current', 'page');
  item.append(link);
  document.getElementById('conversation-list').prepend(item);
}

async function ask(question) {
  const collection = form.elements.collection.value.trim() || null;
  const tags = form.elements.tags.value.split(',').map((t) => t.trim()).filter(Boolean);
  addMessage('user', question);
  const answer = addMessage('assistant', '');
  answer.textContent = '…';
  const controller = new AbortController();
  setRunning(controller);
  status.textContent = 'Answering…';
  let text = '';
  let sources = new Map();
  let finished = false;
  try {
    const response = await fetch('/app-api/chat', {
      method: 'POST',
      headers: appApiHeaders({ 'Content-Type': 'application/json', Accept: 'text/event-stream' }),
      body: JSON.stringify({ query: question, conversation_id: conversationId, collection, filters: tags.length ? { tags } : null }),
      signal: controller.signal,
    });
    if (!response.ok) {
      showFailure(answer, await describeFailure(response));
      if (response.status === 401) window.location.assign(`/signin?reason=unauthorized&return_url=${encodeURIComponent(location.pathname)}`);
      return;
    }
    for await (const { event, data } of readEvents(response, controller.signal)) {
      const payload = parse(data);
      if (event === 'sources') {
        sources = readSources(payload);
      } else if (event === 'delta') {
        text += deltaText(payload);
        answer.replaceChildren(...citedNodes(text, sources));
      } else if (event === 'done') {
        finished = true;
        rememberConversation(payload.conversation_id, question);
        if (payload.answer) text = payload.answer;
      } else if (event === 'error') {
        showFailure(answer, [payload.title, payload.detail].filter(Boolean).join('. ') || 'The answer could not be completed.');
        return;
      } else if (event === 'server_stopping') {
        showFailure(answer, payload.message || 'The service is restarting and stopped this answer. Please ask again in a moment.');
        return;
      }
    }
    if (!finished) {
      showFailure(answer, 'The answer was cut off because the service stopped responding. Please try again.');
      return;
    }
    if (!text.trim()) {
      answer.textContent = 'Nothing in your documents answers this. Try other words, or another collection.';
    } else {
      await renderFinal(answer, text, sources);
    }
    if (sources.size === 0) answer.classList.add('no-sources');
    status.textContent = 'Answer complete.';
  } catch (error) {
    if (error.name === 'AbortError' || controller.signal.aborted) {
      const note = document.createElement('p');
      note.className = 'meta';
      note.textContent = 'Stopped.';
      if (!text) answer.replaceChildren();
      answer.append(note);
      status.textContent = 'Stopped.';
    } else {
      showFailure(answer, 'The service is unavailable right now. Please try again in a moment.');
    }
  } finally {
    setRunning(null);
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const question = form.elements.message.value.trim();
  if (!question || running) return;
  form.elements.message.value = '';
  ask(question);
});

// Enter sends, Shift+Enter starts a new line.
form.elements.message.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    form.requestSubmit();
  }
});

stopButton.addEventListener('click', () => running?.abort());

// Answers of earlier turns, rendered by the server, get their citation buttons from the sources stored with them.
for (const answer of messages.querySelectorAll('.message.assistant[data-sources]')) {
  linkCitations(answer, readSources(parse(answer.dataset.sources)));
}
