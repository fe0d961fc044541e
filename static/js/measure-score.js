/* An instrument's total and severity band, shown as its items are answered (templates/treatment/_measure_items.html).
   The page works without it: the server scores what is sent and shows the total after the submit.
   - Each [data-measure] block sums its checked radios and names the band its scoring key gives the total.
   - "Clear answers" (on the session page) unticks the block's radios here instead of a round trip. */
(function () {
  "use strict";

  function bands(block) {
    return Array.prototype.map.call(block.querySelectorAll("[data-band-low]"), function (el) {
      return { low: Number(el.dataset.bandLow), high: Number(el.dataset.bandHigh), label: el.dataset.bandLabel };
    });
  }

  function update(block) {
    var output = block.querySelector("[data-measure-total]");
    if (!output) {
      return;
    }
    var items = Number(block.dataset.items);
    var checked = block.querySelectorAll("input[type=radio]:checked");
    var total = 0;
    for (var i = 0; i < checked.length; i++) {
      total += Number(checked[i].value);
    }
    var name = block.dataset.name;
    if (checked.length === 0) {
      output.textContent = name + ": no item answered yet (total 0 of " + block.dataset.max + ").";
      return;
    }
    if (checked.length < items) {
      output.textContent =
        name + " total so far " + total + " (" + checked.length + " of " + items + " items answered).";
      return;
    }
    var band = bands(block).filter(function (b) {
      return b.low <= total && total <= b.high;
    })[0];
    output.textContent =
      name + " total " + total + " of " + block.dataset.max + (band ? ": " + band.label.toLowerCase() : "") +
      " (all " + items + " items answered).";
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-measure]"), function (block) {
    block.addEventListener("change", function () {
      update(block);
    });
    var clear = block.querySelector("[data-measure-clear]");
    if (clear) {
      clear.addEventListener("click", function (event) {
        event.preventDefault();
        Array.prototype.forEach.call(block.querySelectorAll("input[type=radio]:checked"), function (radio) {
          radio.checked = false;
        });
        update(block);
      });
    }
    update(block);
  });
})();
