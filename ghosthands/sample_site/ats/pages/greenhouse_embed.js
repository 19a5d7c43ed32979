// The Greenhouse embed: the careers page holds <div id="grnhse_app"> and loads this
// script from the board's host; the script puts the job board (or, with ?gh_jid=, the
// application form) in an iframe of that host and sizes it to fit.
(function () {
  var script = document.currentScript;
  var src = new URL(script.src);
  var board = src.searchParams.get('for');
  var jid = new URLSearchParams(window.location.search).get('gh_jid');
  var host = document.getElementById('grnhse_app');
  if (!host) return;
  var iframe = document.createElement('iframe');
  iframe.id = 'grnhse_iframe';
  iframe.title = 'Greenhouse Job Board';
  iframe.width = '100%';
  iframe.frameBorder = '0';
  iframe.scrolling = 'no';
  iframe.style.height = '1600px';
  iframe.style.border = '0';
  iframe.src = src.origin + (jid
    ? '/greenhouse/embed/job_app?for=' + encodeURIComponent(board) + '&token=' + encodeURIComponent(jid)
    : '/greenhouse/embed/job_board?for=' + encodeURIComponent(board)) + '&b=' + encodeURIComponent(window.location.href);
  host.appendChild(iframe);
  window.addEventListener('message', function (event) {
    if (event.origin !== src.origin) return;
    try {
      var data = JSON.parse(event.data);
      if (data.greenhouse === 'resize') iframe.style.height = data.height + 'px';
    } catch (e) { /* not ours */ }
  });
})();
