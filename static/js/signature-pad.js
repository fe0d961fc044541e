/* The client's signature pad: a <canvas> drawn with pointer events (finger, pen or mouse), a "Clear" button,
   and the drawing kept in the form's hidden "image" field as a PNG data URL, which the sign service stores
   with the signature. Drawing chooses "Sign by drawing"; clearing goes back to "Sign by typing my name".
   Without this script (or without a pointer) the client signs by typed name: the canvas is optional. */
(function () {
  "use strict";

  function setUp(pad) {
    var canvas = pad.querySelector("canvas");
    var field = document.getElementById(pad.dataset.imageField);
    var clear = pad.querySelector("[data-signature-clear]");
    var drawn = document.getElementById(pad.dataset.drawnChoice);
    var typed = document.getElementById(pad.dataset.typedChoice);
    var status = pad.querySelector("[data-signature-pad-status]");
    var context = canvas.getContext("2d");
    var drawing = false;
    var marked = false;
    var last = null;

    // The drawing surface matches the displayed size and the screen's pixel density, so lines stay sharp.
    function resize() {
      var ratio = window.devicePixelRatio || 1;
      var box = canvas.getBoundingClientRect();
      canvas.width = Math.max(1, Math.round(box.width * ratio));
      canvas.height = Math.max(1, Math.round(box.height * ratio));
      context.setTransform(ratio, 0, 0, ratio, 0, 0);
      context.lineWidth = 2.5;
      context.lineCap = "round";
      context.lineJoin = "round";
      context.strokeStyle = "#000";
    }

    function point(event) {
      var box = canvas.getBoundingClientRect();
      return { x: event.clientX - box.left, y: event.clientY - box.top };
    }

    function save() {
      field.value = marked ? canvas.toDataURL("image/png") : "";
      if (marked && drawn) {
        drawn.checked = true;
      }
      status.textContent = marked ? "Signature drawn." : "The signature pad is empty.";
    }

    function reset() {
      context.clearRect(0, 0, canvas.width, canvas.height);
      marked = false;
      field.value = "";
      if (drawn && drawn.checked && typed) {
        typed.checked = true;
      }
      status.textContent = "The signature pad is empty.";
    }

    canvas.addEventListener("pointerdown", function (event) {
      event.preventDefault();
      drawing = true;
      last = point(event);
      canvas.setPointerCapture(event.pointerId);
      // A tap is a dot.
      context.beginPath();
      context.arc(last.x, last.y, context.lineWidth / 2, 0, Math.PI * 2);
      context.fillStyle = "#000";
      context.fill();
      marked = true;
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) {
        return;
      }
      event.preventDefault();
      var next = point(event);
      context.beginPath();
      context.moveTo(last.x, last.y);
      context.lineTo(next.x, next.y);
      context.stroke();
      last = next;
    });
    function end(event) {
      if (!drawing) {
        return;
      }
      drawing = false;
      if (canvas.hasPointerCapture(event.pointerId)) {
        canvas.releasePointerCapture(event.pointerId);
      }
      save();
    }
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    clear.addEventListener("click", reset);

    pad.hidden = false;
    resize();
    // A turned tablet resizes the pad: an empty pad follows it (a drawn one is kept as it is).
    window.addEventListener("resize", function () {
      if (!marked) {
        resize();
      }
    });
    pad.classList.add("signature-pad-ready");
    // A previous submit's drawing (kept by the server on an error) is shown again.
    if (field.value) {
      var image = new Image();
      image.addEventListener("load", function () {
        var box = canvas.getBoundingClientRect();
        context.drawImage(image, 0, 0, box.width, box.height);
        marked = true;
        status.textContent = "Signature drawn.";
      });
      image.src = field.value;
    }
  }

  document.querySelectorAll("[data-signature-pad]").forEach(setUp);
})();
