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

(defgroup plansearch nil "Search plans through the PlanSearch daemon." :group 'tools)

(defcustom plansearch-socket nil
  "The daemon's socket; nil means the daemon's default.
The default is $XDG_RUNTIME_DIR/plansearch/plansearch.sock, else
~/.cache/plansearch/plansearch.sock, the same rule the daemon follows."
  :type '(choice (const nil) file))

(defcustom plansearch-limit 50 "Most hits to ask for." :type 'integer)

(defcustom plansearch-timeout 10
  "Seconds to wait for the daemon's answer before giving up."
  :type 'number)

(defface plansearch-match '((t :inherit match)) "Face of the matched words in snippets.")

(defvar plansearch--counter 0 "Request ids.")

(defun plansearch--socket ()
  "The socket path to connect to."
  (or plansearch-socket
      (getenv "PLANSEARCH_SOCKET")
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
          (add-face-text-property start end 'plansearch-match nil snippet))))
    snippet))

(defun plansearch--show (query result)
  "Fill the *plansearch* buffer with RESULT of QUERY."
  (let ((hits (append (gethash "hits" result) nil))
        (buffer (get-buffer-create "*plansearch*")))
    (with-current-buffer buffer
      (let ((inhibit-read-only t))
        (erase-buffer)
        (insert (format "PlanSearch: %s — %d of about %d hits" query (length hits) (gethash "total" result)))
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
        (dolist (hit hits)
          (let* ((heading (append (gethash "heading" hit) nil))
                 (para (gethash "para" hit)))
            (insert (format "%s:%d: %s%s%s — " (gethash "file" hit) (gethash "line" hit)
                            (or (car (last heading)) "")
                            (if (stringp para) (concat " ¶" para) "")
                            ;; A hit that fills a short page lacks some of the words: say which.
                            (let ((lacks (append (gethash "missing" hit) nil)))
                              (if lacks (format " [lacks %s]" (mapconcat #'identity lacks ", ")) ""))))
            (insert (plansearch--snippet hit) "\n")
            ;; The same text elsewhere (the ITC plan repeats the UN plan's paragraphs): one line
            ;; per copy, so RET and `next-error' reach each place.
            (dolist (copy (append (gethash "copies" hit) nil))
              (insert (format "%s:%d:   same text as above\n" (gethash "file" copy) (gethash "line" copy)))))))
      (grep-mode)
      (setq-local compilation-search-path nil)
      (goto-char (point-min)))
    (setq next-error-last-buffer buffer)
    (display-buffer buffer)
    buffer))

(defun plansearch--filter (query)
  "A process filter that waits for one line answering QUERY."
  (let ((pending ""))
    (lambda (process output)
      (setq pending (concat pending output))
      (when (string-match "\n" pending)
        (process-put process 'plansearch-answered t)
        (let* ((line (substring pending 0 (match-beginning 0)))
               (response (condition-case nil
                             (json-parse-string line :object-type 'hash-table :null-object nil)
                           (error nil))))
          (delete-process process)
          (cond ((null response) (message "PlanSearch: unreadable answer from the daemon"))
                ((gethash "error" response)
                 (let ((err (gethash "error" response)))
                   (message "PlanSearch: %s: %s" (gethash "code" err) (gethash "message" err))))
                (t (plansearch--show query (gethash "result" response)))))))))

(defun plansearch--sentinel (process _event)
  "Say so when PROCESS ends before the daemon answered (it closed, or crashed)."
  (unless (or (process-live-p process) (process-get process 'plansearch-answered))
    (process-put process 'plansearch-answered t)
    (message "PlanSearch: the daemon closed the connection without answering")))

(defun plansearch--give-up (process)
  "Stop waiting for PROCESS after `plansearch-timeout' seconds without an answer."
  (when (and (process-live-p process) (not (process-get process 'plansearch-answered)))
    (process-put process 'plansearch-answered t)
    (delete-process process)
    (message "PlanSearch: no answer from the daemon within %s seconds" plansearch-timeout)))

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
    (let ((process (condition-case err
                       (make-network-process :name "plansearch" :family 'local :service socket
                                             :coding 'utf-8 :noquery t
                                             :filter (plansearch--filter query)
                                             :sentinel #'plansearch--sentinel)
                     (file-error
                      (user-error "PlanSearch: no daemon answers at %s (%s); start one with: plansearch serve --db DIR PLANS..."
                                  socket (error-message-string err))))))
      (setq plansearch--counter (1+ plansearch--counter))
      (process-send-string
       process
       (concat (json-serialize `((id . ,plansearch--counter) (method . "search")
                                 (params . ((query . ,query) (limit . ,plansearch-limit)))))
               "\n"))
      (run-at-time plansearch-timeout nil #'plansearch--give-up process)
      process)))

;;;###autoload
(defun plansearch-at-point ()
  "Search for the word at point (or the region)."
  (interactive)
  (plansearch (or (plansearch--default-query) (user-error "PlanSearch: nothing at point"))))

(provide 'plansearch)
;;; plansearch.el ends here
