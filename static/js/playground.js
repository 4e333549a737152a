// The console playground: sends the conversation to /playground/chat/ and shows the answer
// as it streams in (server-sent events read from a fetch() body).
"use strict";

(function () {
  const form = document.getElementById("playground");
  if (!form) {
    return;
  }
  const transcript = document.getElementById("playground-transcript");
  const errorBox = document.getElementById("playground-error");
  const message = document.getElementById("playground-message");
  const send = document.getElementById("playground-send");
  let history = [];

  function showError(text) {
    errorBox.textContent = text;
    errorBox.hidden = false;
  }

  // An error whose text is already translated for the page; any other shows the generic one.
  function shown(text) {
    const error = new Error(text);
    error.shown = text;
    return error;
  }

  function addTurn(role, text) {
    const item = document.createElement("li");
    item.className = role;
    const speaker = document.createElement("span");
    speaker.className = "speaker";
    speaker.textContent = role === "user" ? form.dataset.labelUser : form.dataset.labelAssistant;
    const content = document.createElement("span");
    content.textContent = text;
    item.append(speaker, content);
    transcript.append(item);
    return content;
  }

  function requestBody() {
    const messages = [];
    const system = form.elements.system.value.trim();
    if (system) {
      messages.push({ role: "system", content: system });
    }
    const body = { model: form.elements.model.value, messages: messages.concat(history) };
    const temperature = parseFloat(form.elements.temperature.value);
    const maxTokens = parseInt(form.elements.max_tokens.value, 10);
    if (!Number.isNaN(temperature)) {
      body.temperature = temperature;
    }
    if (!Number.isNaN(maxTokens)) {
      body.max_tokens = maxTokens;
    }
    return JSON.stringify(body);
  }

  // Reads the event stream, appending each delta to `output`; resolves to the whole answer.
  async function readStream(response, output) {
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    let answer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        throw shown(form.dataset.errorCut);
      }
      buffer += value;
      const events = buffer.split("\n\n");
      buffer = events.pop();
      for (const event of events) {
        const data = event.replace(/^data: ?/, "");
        if (data === "[DONE]") {
          return answer;
        }
        const chunk = JSON.parse(data);
        if (chunk.error) {
          throw shown(form.dataset.errorCut);
        }
        for (const choice of chunk.choices || []) {
          const text = (choice.delta && choice.delta.content) || "";
          answer += text;
          output.textContent += text;
        }
      }
    }
  }

  async function ask() {
    const text = message.value.trim();
    if (!text) {
      return;
    }
    errorBox.hidden = true;
    history.push({ role: "user", content: text });
    const asked = addTurn("user", text);
    message.value = "";
    send.setAttribute("aria-busy", "true");
    send.disabled = true;
    const output = addTurn("assistant", "");
    try {
      const response = await fetch(form.action, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          "X-CSRFToken": form.elements.csrfmiddlewaretoken.value,
        },
        body: requestBody(),
        credentials: "same-origin",
      });
      const type = response.headers.get("Content-Type") || "";
      if (type.startsWith("application/json")) {
        const refusal = await response.json();
        throw shown(refusal.error.message);
      }
      if (!response.ok || !type.startsWith("text/event-stream")) {
        throw shown(form.dataset.errorGeneric);
      }
      history.push({ role: "assistant", content: await readStream(response, output) });
    } catch (error) {
      // A refused message leaves the conversation as it was, so it can be sent again; a cut
      // answer stays in it as far as it arrived.
      if (output.textContent) {
        history.push({ role: "assistant", content: output.textContent });
      } else {
        output.parentElement.remove();
        asked.parentElement.remove();
        history.pop();
        message.value = text;
      }
      showError(error.shown || form.dataset.errorGeneric);
    } finally {
      send.removeAttribute("aria-busy");
      send.disabled = false;
    }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    ask();
  });

  document.getElementById("playground-clear").addEventListener("click", function () {
    history = [];
    transcript.replaceChildren();
    errorBox.hidden = true;
    message.focus();
  });
})();
