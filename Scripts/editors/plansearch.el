;;; plansearch.el --- Search Chinese planning documents through the PlanSearch daemon  -*- lexical-binding: t; -*-

;; M-x plansearch asks the running daemon (`plansearch serve') over its Unix socket and shows the
;; hits in a grep-mode buffer: RET and `next-error' jump to the source line.  The request is
;; asynchronous (a process filter collects the answer), so Emacs never waits for the daemon.
;;
;;   (add-to-list 'load-path "/path/to/plansearch/Scripts/editors")
;;   (require 'plansearch)
;;   (global-set-key (kbd "C-c s") #'plansearch)

;;; Code:

(require 'grep)
(require 'json)
(require 'seq)

(defgroup plansearch nil "Search plans through the PlanSearch daemon." :group 'tools)

(defcustom plansearch-socket nil
  "The daemon's socket; nil means the daemon's default.
The default is $XDG_RUNTIME_DIR/plansearch/plansearch.sock, else
~/.cache/plansearch/plansearch.sock, the same rule the daemon follows."
  :type '(choice (const nil) file))

(defcustom plansearch-limit 50 "Most hits to ask for." :type 'integer)

(defcustom plansearch-timeout 10
  "Seconds to wait for the daemon to accept the connection and answer."
  :type 'number)

(defface plansearch-match '((t :inherit match)) "Face of the matched words in snippets.")

(defvar plansearch--counter 0 "Request ids.")

(defvar plansearch--process nil
  "The connection of the latest search; a new search closes it, answered or not.")

(defun plansearch--socket ()
  "The socket path to connect to."
  (or plansearch-socket
      ;; An empty PLANSEARCH_SOCKET counts as unset, as for the daemon and the command line.
      (let ((socket (getenv "PLANSEARCH_SOCKET")))
        (and socket (not (string-empty-p socket)) socket))
      (let ((runtime (getenv "XDG_RUNTIME_DIR")))
        (if (and runtime (not (string-empty-p runtime)))
            (expand-file-name "plansearch/plansearch.sock" runtime)
          ;; An empty XDG_CACHE_HOME counts as unset, as for the daemon.
          (let ((cache (getenv "XDG_CACHE_HOME")))
            (expand-file-name "plansearch/plansearch.sock"
                              (if (and cache (not (string-empty-p cache))) cache (expand-file-name "~/.cache"))))))))

(defun plansearch--default-query ()
  "The active region, else the word at point."
  (if (use-region-p)
      (buffer-substring-no-properties (region-beginning) (region-end))
    (thing-at-point 'word t)))

(defun plansearch--snippet (hit)
  "HIT's snippet with its highlights (character offsets) as faces."
  (let ((snippet (replace-regexp-in-string "\n" " " (or (gethash "snippet" hit) ""))))
    (dolist (range (append (gethash "highlights" hit) nil))
      (let ((start (aref range 0)) (end (aref range 1)))
        (when (and (<= 0 start) (< start end) (<= end (length snippet)))
          ;; `font-lock-face', not `face': grep-mode's font-lock removes `face' from the text
          ;; it fontifies, which is all of it once the buffer is displayed.
          (put-text-property start end 'font-lock-face 'plansearch-match snippet))))
    snippet))

(defun plansearch--show (query result)
  "Fill the *plansearch* buffer with RESULT of QUERY."
  (let ((hits (append (gethash "hits" result) nil))
        (buffer (get-buffer-create "*plansearch*")))
    (with-current-buffer buffer
      (let ((inhibit-read-only t))
        (erase-buffer)
        ;; `total' counts complete matches only: hits filling a short page are counted apart.
        (let ((partial (seq-count (lambda (hit) (gethash "missing" hit)) hits)))
          ;; The query in «», on this line alone: after the first colon comes «, so grep-mode
          ;; cannot read the header as a place (a query "2021: 3: x" was file PlanSearch, line 2021).
          (insert (format "PlanSearch: «%s» — %d of about %d hits"
                          (replace-regexp-in-string "[\n\r\0]" " " query)
                          (- (length hits) partial) (gethash "total" result)))
          (when (> partial 0) (insert (format ", then %d lacking a word" partial))))
        (let ((missing (mapconcat #'identity (append (gethash "missing" result) nil) ", ")))
          (cond ((string-empty-p missing))
                ((null hits) (insert (format "; not in the plans: %s" missing)))
                ((not (eq (gethash "exact" result) t)) (insert (format "; not found together: %s" missing)))))
        (let ((suggestions (gethash "suggestions" result)))
          (when (hash-table-p suggestions)
            (maphash (lambda (word close)
                       (insert (format "; %s: did you mean %s?" word (mapconcat #'identity (append close nil) ", "))))
                     suggestions)))
        (when (eq (gethash "partial" result) t) (insert "; some shards did not answer"))
        (insert "\n\n")
        ;; Each place is `file\0line:', grep's --null form, which grep-mode reads (and shows as
        ;; `file:line:') however many colons the file name holds: plan:2021:v2.txt would
        ;; otherwise read as file `plan', line 2021.
        (dolist (hit hits)
          (let* ((heading (append (gethash "heading" hit) nil))
                 (para (gethash "para" hit)))
            (insert (format "%s\0%d: %s%s%s — " (gethash "file" hit) (gethash "line" hit)
                            (or (car (last heading)) "")
                            (if (stringp para) (concat " ¶" para) "")
                            ;; A hit that fills a short page lacks some of the words: say which.
                            (let ((lacks (append (gethash "missing" hit) nil)))
                              (if lacks (format " [lacks %s]" (mapconcat #'identity lacks ", ")) ""))))
            (insert (plansearch--snippet hit) "\n")
            ;; The same text elsewhere (the ITC plan repeats the UN plan's paragraphs): one line
            ;; per copy, so RET and `next-error' reach each place.
            (dolist (copy (append (gethash "copies" hit) nil))
              (insert (format "%s\0%d:   same text as above\n" (gethash "file" copy) (gethash "line" copy)))))))
      ;; Without grep's font-lock rules, which are for grep's own output: one of them shows a
      ;; line with -DIGITS- in it (any hit in itc-programme-budget-2008-2009.txt) as a context
      ;; line, in a `face' that hides the matches.
      (let ((grep-mode-font-lock-keywords nil))
        (grep-mode))
      (setq-local compilation-search-path nil)
      (goto-char (point-min)))
    (setq next-error-last-buffer buffer)
    (display-buffer buffer)
    buffer))

(defun plansearch--stop (process)
  "Close PROCESS quietly: answered, failed, or replaced by a newer search."
  (process-put process 'plansearch-done t)
  (let ((timer (process-get process 'plansearch-timer)))
    (when timer (cancel-timer timer)))
  (delete-process process))

(defun plansearch--filter (query)
  "A process filter that waits for the one line answering QUERY."
  ;; The chunks (4 KB each) are kept in a list and only the new one is searched for the
  ;; newline: appending each to the whole answer and rescanning it is quadratic (a 12 MB
  ;; answer outlasted the timeout).
  (let ((chunks nil))
    (lambda (process output)
      (let ((newline (string-search "\n" output)))
        (push (if newline (substring output 0 newline) output) chunks)
        (when (and newline (not (process-get process 'plansearch-done)))
          (plansearch--stop process)
          (let ((response (condition-case nil
                              (json-parse-string (apply #'concat (nreverse chunks))
                                                 :object-type 'hash-table :null-object nil)
                            (error nil))))
            (cond ((null response) (message "PlanSearch: unreadable answer from the daemon"))
                  ((gethash "error" response)
                   (let ((err (gethash "error" response)))
                     (message "PlanSearch: %s: %s" (gethash "code" err) (gethash "message" err))))
                  (t (plansearch--show query (gethash "result" response))))))))))

(defun plansearch--sentinel (process event)
  "Send the request once PROCESS connects; say so if it fails or ends unanswered."
  (unless (process-get process 'plansearch-done)
    (cond ((string-prefix-p "open" event)
           ;; A daemon that closed the connection already makes this fail; the sentinel's next
           ;; event reports it.
           (ignore-errors (process-send-string process (process-get process 'plansearch-request))))
          ((string-prefix-p "failed" event)
           (plansearch--stop process)
           (message "PlanSearch: could not connect to the daemon at %s (%s)"
                    (process-contact process :service) (string-trim event)))
          ((not (process-live-p process))
           (plansearch--stop process)
           (message "PlanSearch: the daemon closed the connection without answering")))))

(defun plansearch--give-up (process)
  "Stop waiting for PROCESS after `plansearch-timeout' seconds without an answer."
  (unless (process-get process 'plansearch-done)
    (let ((connecting (eq (process-status process) 'connect)))
      (plansearch--stop process)
      (message (if connecting
                   "PlanSearch: the daemon at %s did not accept the connection within %s seconds (stopped? overloaded?)"
                 "PlanSearch: no answer from the daemon at %s within %s seconds")
               (process-contact process :service) plansearch-timeout))))

(defun plansearch--no-daemon (socket why)
  "Signal that no daemon answers at SOCKET, because of WHY."
  (user-error "PlanSearch: no daemon answers at %s (%s); start one with: plansearch serve --db DIR PLANS..."
              socket why))

;;;###autoload
(defun plansearch (query)
  "Search plans for QUERY through the PlanSearch daemon.
Words are all required; \"...\" is an exact phrase; -word excludes; a OR b;
doc:ID and heading:TEXT filter."
  (interactive
   (let ((default (plansearch--default-query)))
     (list (read-string (if default (format "PlanSearch (%s): " default) "PlanSearch: ") nil nil default))))
  (when (string-empty-p (string-trim (or query "")))
    (user-error "PlanSearch: empty query"))
  (let ((socket (plansearch--socket)))
    (unless (file-exists-p socket)
      (user-error "PlanSearch: no daemon at %s; start one with: plansearch serve --db DIR PLANS..." socket))
    ;; The search under way, if any, is superseded: its answer, however late, must not replace
    ;; this one's.
    (when plansearch--process (plansearch--stop plansearch--process))
    ;; :nowait, so that connecting cannot block Emacs (a stopped daemon whose listen queue is
    ;; full would hold a blocking connect forever); the sentinel sends the request on "open",
    ;; and the timeout counts from here.
    (let ((process (condition-case err
                       (make-network-process :name "plansearch" :family 'local :service socket
                                             :nowait t :coding 'utf-8 :noquery t
                                             :filter (plansearch--filter query)
                                             :sentinel #'plansearch--sentinel)
                     (file-error (plansearch--no-daemon socket (error-message-string err))))))
      ;; A Unix socket connects, or fails, at once; a failure (nothing listening, or the queue
      ;; full) runs no sentinel but leaves the status (file-error (CONTEXT REASON ...)), whose
      ;; cadr `process-exit-status' returns.
      (unless (memq (process-status process) '(connect open))
        (let ((data (and (eq (process-status process) 'file-error) (process-exit-status process))))
          (delete-process process)
          (plansearch--no-daemon socket (if (stringp (car-safe (cdr-safe data))) (cadr data) "cannot connect"))))
      (setq plansearch--counter (1+ plansearch--counter))
      (process-put process 'plansearch-request
                   (concat (json-serialize `((id . ,plansearch--counter) (method . "search")
                                             (params . ((query . ,query) (limit . ,plansearch-limit)))))
                           "\n"))
      (process-put process 'plansearch-timer
                   (run-at-time plansearch-timeout nil #'plansearch--give-up process))
      (setq plansearch--process process))))

;;;###autoload
(defun plansearch-at-point ()
  "Search for the word at point (or the region)."
  (interactive)
  (plansearch (or (plansearch--default-query) (user-error "PlanSearch: nothing at point"))))

(provide 'plansearch)
;;; plansearch.el ends here
