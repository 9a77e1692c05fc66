"""The HTML report's style and script, inlined in the page (no network, no CDN)."""

STYLE = """
:root{--pass:#3a9a52;--fail:#c8372d;--skip:#b9b9b9;--known:#d99a1e}
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;color:#222;max-width:78em;padding:0 1em}
h1{font-size:1.35em;margin-bottom:.2em}h2{font-size:1.08em;margin-top:1.8em}
.verdict{display:inline-block;padding:.1em .6em;border-radius:.3em;color:#fff;font-weight:600}
.verdict.passed{background:var(--pass)}.verdict.failed{background:var(--fail)}.verdict.stopped{background:#6b7280}
.meta{color:#555}table{border-collapse:collapse;width:100%}
td,th{padding:.3em .6em;text-align:left;vertical-align:top;border-bottom:1px solid #eee}
th{font-weight:600;background:#fafafa}
.bar{display:flex;width:18em;height:.8em;border-radius:.4em;overflow:hidden;background:#eee}
.bar span{display:block;height:100%}.bar .passed,.bar .checked{background:var(--pass)}
.bar .failed{background:var(--fail)}.bar .skipped,.bar .not-checked{background:var(--skip)}
.bar .known{background:var(--known)}
.num{font-variant-numeric:tabular-nums;color:#444;white-space:nowrap}
.st{display:inline-block;min-width:4.5em;text-align:center;border-radius:.25em;padding:0 .4em;
font-size:.85em;color:#fff}.st.passed,.st.checked{background:var(--pass)}.st.failed,.st.new{background:var(--fail)}
.st.skipped,.st.not-checked{background:var(--skip)}.st.known{background:var(--known)}
.tag{font-size:.8em;border:1px solid #999;border-radius:.25em;padding:0 .3em;color:#444}
.failure{border-left:4px solid var(--fail);padding:.4em .8em;margin:.8em 0;background:#fdf6f5}
.failure.known{border-color:var(--known);background:#fdf9ef}
.failure dl{display:grid;grid-template-columns:6em 1fr;gap:.2em .6em;margin:.4em 0 0}
.failure dt{color:#666}.failure dd{margin:0}
code,pre{font:12.5px/1.4 ui-monospace,monospace;white-space:pre-wrap;word-break:break-all}
.why{color:#666}#filter{width:28em;padding:.35em .5em;font-size:1em}
.controls{position:sticky;top:0;background:#fff;padding:.6em 0;border-bottom:1px solid #ddd}
.controls label{margin-left:1em}.hidden{display:none}
"""

# Rows and failure blocks carry `data-status`; the text box keeps those whose text holds every
# word typed, the boxes those whose status is ticked.
SCRIPT = """
(function(){
  var box=document.getElementById('filter');
  var ticks=document.querySelectorAll('.controls input[type=checkbox]');
  function apply(){
    var words=box.value.toLowerCase().split(/\\s+/).filter(Boolean);
    var shown={};
    ticks.forEach(function(t){shown[t.value]=t.checked;});
    document.querySelectorAll('[data-status]').forEach(function(el){
      var text=el.textContent.toLowerCase();
      var ok=shown[el.getAttribute('data-status')]!==false&&
        words.every(function(w){return text.indexOf(w)>=0;});
      el.classList.toggle('hidden',!ok);
    });
  }
  box.addEventListener('input',apply);
  ticks.forEach(function(t){t.addEventListener('change',apply);});
})();
"""
