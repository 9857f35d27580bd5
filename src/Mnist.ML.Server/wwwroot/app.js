// Mnist.ML page: draw on the canvas (pointer events: mouse, pen, touch), upload or drop a file, or paste a URL;
// each goes to the API with ?debug=true and the answer, its probabilities and the 28x28 input are shown.
"use strict";

const pad = document.getElementById("pad");
const ctx = pad.getContext("2d");
const els = Object.fromEntries(["clear", "file", "url-form", "url", "placeholder", "answer", "digit", "confidence",
  "error", "details", "bars", "model-input", "meta", "drop-zone"].map(id => [id, document.getElementById(id)]));

let drawing = false;
let inked = false;
let pending = null; // the AbortController of the request in flight: a newer stroke replaces it

function resetPad() {
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, pad.width, pad.height);
  ctx.strokeStyle = "#000";
  ctx.lineWidth = 18;
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  inked = false;
}

function point(e) {
  const r = pad.getBoundingClientRect();
  return [(e.clientX - r.left) * pad.width / r.width, (e.clientY - r.top) * pad.height / r.height];
}

pad.addEventListener("pointerdown", e => {
  e.preventDefault();
  pad.setPointerCapture(e.pointerId);
  drawing = true;
  const [x, y] = point(e);
  ctx.beginPath();
  ctx.moveTo(x, y);
  ctx.lineTo(x + 0.1, y); // a tap leaves a dot
  ctx.stroke();
  inked = true;
});
pad.addEventListener("pointermove", e => {
  if (!drawing) return;
  const [x, y] = point(e);
  ctx.lineTo(x, y);
  ctx.stroke();
});
function endStroke() {
  if (!drawing) return;
  drawing = false;
  if (inked) pad.toBlob(blob => predict(blob, "drawing.png"), "image/png");
}
pad.addEventListener("pointerup", endStroke);
pad.addEventListener("pointercancel", endStroke);

els.clear.addEventListener("click", () => {
  resetPad();
  showPlaceholder("Draw a digit to see what the model thinks it is.");
});

els.file.addEventListener("change", () => {
  if (els.file.files.length) predict(els.file.files[0], els.file.files[0].name, true);
  els.file.value = "";
});

const zone = els["drop-zone"];
zone.addEventListener("dragover", e => { e.preventDefault(); zone.classList.add("dragging"); });
zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
zone.addEventListener("drop", e => {
  e.preventDefault();
  zone.classList.remove("dragging");
  const file = e.dataTransfer.files[0];
  if (file) predict(file, file.name, true);
});

els["url-form"].addEventListener("submit", e => {
  e.preventDefault();
  const url = els.url.value.trim();
  if (!url) { showError("Enter the URL of an image first."); els.url.focus(); return; }
  send("/predict/url?debug=true", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ url }) }, true);
});

function predict(blob, name, reveal = false) {
  const form = new FormData();
  form.append("file", blob, name);
  send("/predict?debug=true", { method: "POST", body: form }, reveal);
}

// reveal: scroll the result into view (on a phone it sits below the form); not while drawing.
async function send(path, init, reveal = false) {
  if (pending) pending.abort();
  const controller = pending = new AbortController();
  document.body.setAttribute("aria-busy", "true");
  try {
    const response = await fetch(path, { ...init, signal: controller.signal });
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      showError(body && (body.detail || body.title) ? `${body.title ?? "Error"}: ${body.detail ?? ""}` : `The server answered ${response.status}.`);
      return;
    }
    showPrediction(body);
    if (reveal) document.getElementById("result").scrollIntoView({ block: "nearest" });
  } catch (err) {
    if (err.name !== "AbortError") showError("The server could not be reached. Is it still running?");
  } finally {
    if (pending === controller) { pending = null; document.body.removeAttribute("aria-busy"); }
  }
}

function showPrediction(p) {
  els.error.hidden = true;
  els.placeholder.hidden = true;
  els.answer.hidden = false;
  els.details.hidden = false;
  els.digit.textContent = String(p.digit);
  els.confidence.textContent = percent(p.confidence);
  els.bars.replaceChildren(...p.probabilities.map((prob, d) => {
    const li = document.createElement("li");
    if (d === p.digit) li.className = "best";
    li.innerHTML = `<span class="name">${d}</span><span class="track" aria-hidden="true"><span class="fill"></span></span><span class="value">${percent(prob)}</span>`;
    li.querySelector(".fill").style.width = `${(prob * 100).toFixed(1)}%`;
    li.setAttribute("aria-label", `${d}: ${percent(prob)}`);
    return li;
  }));
  if (p.modelInput) els["model-input"].src = p.modelInput;
  els.meta.textContent = `Model ${p.model}, ${p.elapsedMs.toFixed(1)} ms on the server.`;
  document.body.dataset.digit = String(p.digit); // for the end-to-end test
  countAnswer();
}

// How many answers (predictions or errors) the page has shown; the end-to-end test waits on it.
function countAnswer() { document.body.dataset.answers = String(Number(document.body.dataset.answers ?? 0) + 1); }

function showPlaceholder(text) {
  els.placeholder.textContent = text;
  els.placeholder.hidden = false;
  els.answer.hidden = true;
  els.details.hidden = true;
  els.error.hidden = true;
  delete document.body.dataset.digit;
}

function showError(text) {
  els.answer.hidden = true;
  els.details.hidden = true;
  els.placeholder.hidden = true;
  delete document.body.dataset.digit;
  els.error.textContent = text;
  els.error.hidden = false;
  countAnswer();
}

function percent(x) { return `${(x * 100).toFixed(x >= 0.995 || x < 0.001 ? 0 : 1)}%`; }

resetPad();
