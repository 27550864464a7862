// Both live models' boundaries drawn in the browser: the server sends each model's small grid (a
// class and an opacity byte per cell) and its mistakes; the canvas colours and scales the grid with
// bilinear smoothing and draws the axes and the points itself, so no picture is made on the server.
const TEXT_GREY = "rgb(60,60,60)";
const RING_GREY = "rgb(110,110,110)";

// render.pack_scene's message: a uint32 header length, the JSON header, then the arrays' bytes;
// each array is copied out, so a float view of it starts at offset 0 of its own buffer
function unpack(raw) {
  const size = new DataView(raw.buffer, raw.byteOffset, 4).getUint32(0, true);
  const body = 4 + size + ((4 - (size % 4)) % 4);
  const join = (value) => {
    if (Array.isArray(value)) return value.map(join);
    if (value === null || typeof value !== "object") return value;
    if (Array.isArray(value.at) && Object.keys(value).length === 1) {
      return raw.slice(body + value.at[0], body + value.at[0] + value.at[1]);
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, join(v)]));
  };
  return join(JSON.parse(new TextDecoder().decode(raw.subarray(4, 4 + size))));
}

// each cell: its class colour at opacity level/levels over white, as render.boundary_rgb mixes it
function grid(data, model) {
  const cls = model.cls, alpha = model.alpha;
  const off = document.createElement("canvas");
  off.width = off.height = data.res;
  const ctx = off.getContext("2d");
  const image = ctx.createImageData(data.res, data.res);
  for (let i = 0, j = 0; i < cls.length; i++, j += 4) {
    const level = alpha[i];
    const a = level > data.levels ? 1 : level / data.levels;
    const colour = level > data.levels ? data.diverged : data.rgb[cls[i]];
    for (let c = 0; c < 3; c++) image.data[j + c] = 255 * (1 - a) + colour[c] * a;
    image.data[j + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
  return off;
}

function draw(canvas, data, model, points) {
  const width = Math.max(160, Math.min(canvas.parentElement.clientWidth, data.size + 48));
  const font = Math.max(9, Math.round(width / 42));
  const left = font * 2.6, top = Math.round(font / 2), bottom = font * 2, right = Math.round(font / 2);
  const plot = width - left - right;
  const height = top + plot + bottom;
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(width * dpr);
  canvas.height = Math.round(height * dpr);
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = "white";
  ctx.fillRect(0, 0, width, height);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(grid(data, model), left, top, plot, plot);

  const box = data.box;
  const X = (x) => left + ((x + box) / (2 * box)) * plot;
  const Y = (y) => top + ((box - y) / (2 * box)) * plot;
  ctx.strokeStyle = TEXT_GREY;
  ctx.fillStyle = TEXT_GREY;
  ctx.lineWidth = 1;
  ctx.font = `${font}px sans-serif`;
  ctx.beginPath();
  ctx.moveTo(left - 0.5, top);
  ctx.lineTo(left - 0.5, top + plot + 0.5);
  ctx.lineTo(left + plot, top + plot + 0.5);
  const tick = Math.max(3, Math.round(width / 120));
  for (const t of data.ticks) {
    ctx.moveTo(X(t), top + plot);
    ctx.lineTo(X(t), top + plot + tick);
    ctx.moveTo(left - tick, Y(t));
    ctx.lineTo(left, Y(t));
  }
  ctx.stroke();
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (const t of data.ticks) ctx.fillText(String(t), X(t), top + plot + tick + 2);
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (const t of data.ticks) ctx.fillText(String(t), left - tick - 3, Y(t));
  const [xName, yName] = data.axes || ["x1", "x2"];
  ctx.fillText(yName, left - tick - 3, top + font / 2);
  ctx.textBaseline = "top";
  ctx.fillText(xName, left + plot, top + plot + tick + 2);

  const { xy, classes, test } = points;
  const wrong = model.wrong;
  const n = classes.length;
  const crowding = Math.min(Math.max(Math.log10(Math.max(n, 1) / 300), 0), 1);
  const r = Math.max(2, plot / (110 + 60 * crowding));
  const mark = (i) => {
    const x = X(xy[2 * i]), y = Y(xy[2 * i + 1]), c = classes[i];
    ctx.fillStyle = data.colours[c];
    ctx.strokeStyle = data.outlines[c];
    ctx.beginPath();
    if (test[i]) ctx.rect(x - r, y - r, 2 * r, 2 * r);
    else ctx.arc(x, y, r, 0, 2 * Math.PI);
    ctx.fill();
    ctx.stroke();
  };
  for (let i = 0; i < n; i++) mark(i);
  ctx.strokeStyle = RING_GREY;
  for (let i = 0; i < n; i++) {
    if (!wrong[i]) continue;
    ctx.beginPath();
    ctx.arc(X(xy[2 * i]), Y(xy[2 * i + 1]), 2 * r, 0, 2 * Math.PI);
    ctx.stroke();
  }
  if (data.picked >= 0 && data.picked < n) {
    // a crosshair, black on a white halo so it shows on any colour, with a gap for the point
    const x = X(xy[2 * data.picked]), y = Y(xy[2 * data.picked + 1]);
    const gap = 1.5 * r + 1, arm = 4.5 * r;
    for (const [grow, colour] of [[1, "white"], [0, "black"]]) {
      ctx.strokeStyle = colour;
      ctx.lineWidth = Math.max(1, Math.round(width / 240)) + 2 * grow;
      ctx.beginPath();
      for (const s of [-1, 1]) {
        ctx.moveTo(x + s * (gap - grow), y);
        ctx.lineTo(x + s * (arm + grow), y);
        ctx.moveTo(x, y + s * (gap - grow));
        ctx.lineTo(x, y + s * (arm + grow));
      }
      ctx.stroke();
    }
    ctx.lineWidth = 1;
    mark(data.picked);
  }
}

function render(root, data) {
  const points = { xy: new Float32Array(data.xy.buffer), classes: data.classes, test: data.test };
  let canvases = root.querySelectorAll("canvas");
  if (canvases.length !== data.models.length) {
    root.replaceChildren(...data.models.map(() => {
      const cell = document.createElement("div");
      cell.className = "scene";
      cell.appendChild(document.createElement("canvas"));
      return cell;
    }));
    canvases = root.querySelectorAll("canvas");
  }
  data.models.forEach((model, m) => {
    canvases[m].dataset.step = String(data.step);
    canvases[m].setAttribute("role", "img");  // a picture to assistive technology, named by its label
    canvases[m].setAttribute("aria-label", model.label);
    draw(canvases[m], data, model, points);
  });
}

// draw the latest scene once per animation frame: a browser that falls behind (a slow machine,
// many tabs) skips the frames it could not show instead of drawing every one of them late
function schedule(root) {
  if (root.pending) return;
  root.pending = requestAnimationFrame(() => {
    root.pending = 0;
    render(root, root.lastData);
  });
}

export default function (component) {
  const { parentElement } = component;
  const root = parentElement.querySelector(".scenes");
  root.lastData = unpack(new Uint8Array(component.data));  // bytes (scenes.py)
  schedule(root);
  if (!root.resizer) {  // redraw at the new width when the column changes size
    root.resizer = new ResizeObserver(() => root.lastData && schedule(root));
    root.resizer.observe(root);
  }
}
