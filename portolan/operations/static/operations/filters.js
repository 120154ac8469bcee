// The attribute filter: show (and submit) only the values of the chosen column.
(function () {
  const form = document.getElementById("attr-filter");
  if (!form) return;
  const column = form.querySelector("#attr-column");
  const show = () => {
    form.querySelectorAll("[data-attr-column]").forEach((box) => {
      const on = box.dataset.attrColumn === column.value;
      box.hidden = !on;
      box.querySelector("select").disabled = !on;
    });
  };
  column.addEventListener("change", show);
  show();
})();
