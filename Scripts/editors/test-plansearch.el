;;; test-plansearch.el --- Run plansearch.el against a real daemon  -*- lexical-binding: t; -*-
;; emacs --batch -Q -l plansearch.el -l test-plansearch.el, with PLANSEARCH_SOCKET,
;; PLANSEARCH_QUERY, PLANSEARCH_EXPECT_FILE and PLANSEARCH_EXPECT_LINE set (and
;; PLANSEARCH_EXPECT_COPY, FILE:LINE of the hit's copy, when it has one).  Exits 0 when the
;; *plansearch* buffer holds the expected file and line (and the copy's line) and `next-error'
;; visits it, and a missing socket gives a clear error; otherwise exits 1 with a message.

(defun plansearch-test--fail (fmt &rest args)
  (princ (concat "FAIL: " (apply #'format fmt args) "\n") #'external-debugging-output)
  (kill-emacs 1))

(let* ((file (getenv "PLANSEARCH_EXPECT_FILE"))
       (line (string-to-number (getenv "PLANSEARCH_EXPECT_LINE")))
       (process (plansearch (getenv "PLANSEARCH_QUERY")))
       (deadline (+ (float-time) 10)))
  ;; The search is asynchronous: wait for the answer as a user's Emacs would, in its event loop.
  (while (and (process-live-p process) (< (float-time) deadline))
    (accept-process-output process 0.05))
  (let ((buffer (get-buffer "*plansearch*")))
    (unless buffer (plansearch-test--fail "no *plansearch* buffer"))
    (with-current-buffer buffer
      (unless (string-match-p (regexp-quote (format "%s:%d:" file line)) (buffer-string))
        (plansearch-test--fail "no hit for %s:%d in:\n%s" file line (buffer-string)))
      ;; A copy of the hit elsewhere, when the test names one, is a line of its own.
      (let ((copy (getenv "PLANSEARCH_EXPECT_COPY")))
        (when (and copy (not (string-empty-p copy))
                   (not (string-match-p (concat "^" (regexp-quote copy) ":   same text as above$") (buffer-string))))
          (plansearch-test--fail "no line for the copy %s in:\n%s" copy (buffer-string))))
      (unless (text-property-any (point-min) (point-max) 'face 'plansearch-match)
        (let ((found nil) (pos (point-min)))
          (while (and (not found) (< pos (point-max)))
            (let ((face (get-text-property pos 'face)))
              (when (or (eq face 'plansearch-match) (and (listp face) (memq 'plansearch-match face))) (setq found t)))
            (setq pos (1+ pos)))
          (unless found (plansearch-test--fail "no highlighted match in the hits buffer")))))
    (with-current-buffer buffer
      ;; Batch Emacs runs no redisplay, so let compilation mode parse the hits now.
      (compilation--ensure-parse (point-max))
      (goto-char (point-min))
      (forward-line 2)
      (while (and (not (eobp)) (not (looking-at (regexp-quote (format "%s:%d:" file line)))))
        (forward-line 1))
      (compile-goto-error))
    (let ((visiting (find-buffer-visiting file)))
      (unless visiting (plansearch-test--fail "RET did not visit %s" file))
      (with-current-buffer visiting
        (unless (= (line-number-at-pos) line)
          (plansearch-test--fail "RET went to line %d, not %d" (line-number-at-pos) line))))
    (with-current-buffer buffer (goto-char (point-min)))
    (next-error 1 t)
    (unless (find-buffer-visiting file) (plansearch-test--fail "next-error visited no file"))))

;; A word the plans lack: no hits, and the header says which word.
(let ((process (plansearch "zzqqxx")) (deadline (+ (float-time) 10)))
  (while (and (process-live-p process) (< (float-time) deadline))
    (accept-process-output process 0.05))
  (with-current-buffer "*plansearch*"
    (unless (string-match-p "not in the plans: zzqqxx" (buffer-string))
      (plansearch-test--fail "no word named for a query without hits:\n%s" (buffer-string)))))

;; A daemon that closes the connection without answering, or never answers: a message, soon.
(require 'cl-lib)
(dolist (case '((close . "closed the connection") (silent . "no answer from the daemon")))
  (let* ((path (make-temp-name (expand-file-name "plansearch-test-" temporary-file-directory)))
         (server (make-network-process
                  :name "fake-daemon" :server t :family 'local :service path :noquery t
                  :log (lambda (_server client _message)
                         (when (eq (car case) 'close) (delete-process client)))))
         (plansearch-socket path)
         (plansearch-timeout 1)
         (said nil))
    (cl-letf (((symbol-function 'message) (lambda (fmt &rest args) (push (apply #'format fmt args) said))))
      (plansearch "妇女")
      (let ((deadline (+ (float-time) 5)))
        (while (and (null said) (< (float-time) deadline))
          (accept-process-output nil 0.05))))
    (delete-process server)
    (ignore-errors (delete-file path))
    (unless (cl-some (lambda (m) (string-match-p (cdr case) m)) said)
      (plansearch-test--fail "%s: expected a message with %S, got %S" (car case) (cdr case) said))))

;; An empty XDG_CACHE_HOME counts as unset: the socket path is still absolute.
(let ((process-environment (append '("XDG_RUNTIME_DIR=" "XDG_CACHE_HOME=" "PLANSEARCH_SOCKET") process-environment))
      (plansearch-socket nil))
  (unless (file-name-absolute-p (plansearch--socket))
    (plansearch-test--fail "socket path %S is relative" (plansearch--socket))))

;; No daemon: a clear error at once, not a hang.
(let ((plansearch-socket "/nonexistent/plansearch.sock"))
  (condition-case err
      (progn (plansearch "妇女") (plansearch-test--fail "no error without a daemon"))
    (user-error (unless (string-match-p "no daemon" (error-message-string err))
                  (plansearch-test--fail "unexpected error: %s" (error-message-string err))))))
(kill-emacs 0)
