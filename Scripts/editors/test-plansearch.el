;;; test-plansearch.el --- Run plansearch.el against a real daemon  -*- lexical-binding: t; -*-
;; emacs --batch -Q -l plansearch.el -l test-plansearch.el, with PLANSEARCH_SOCKET,
;; PLANSEARCH_QUERY, PLANSEARCH_EXPECT_FILE and PLANSEARCH_EXPECT_LINE set (and
;; PLANSEARCH_EXPECT_COPY, FILE:LINE of the hit's copy, when it has one).  Exits 0 when the
;; *plansearch* buffer holds the expected file and line (and the copy's line) and `next-error'
;; visits it, and fake daemons (silent, closing, slow, full, with odd file names or a huge
;; answer) and a missing socket are handled; otherwise exits 1 with a message.

(require 'cl-lib)

(defun plansearch-test--fail (fmt &rest args)
  (princ (concat "FAIL: " (apply #'format fmt args) "\n") #'external-debugging-output)
  (kill-emacs 1))

(defun plansearch-test--wait (process &optional seconds)
  "Run the event loop, as a user's Emacs would, until PROCESS ends or SECONDS pass."
  (let ((deadline (+ (float-time) (or seconds 10))))
    (while (and (process-live-p process) (< (float-time) deadline))
      (accept-process-output nil 0.05))))

(defun plansearch-test--sleep (seconds)
  "Run the event loop for SECONDS."
  (let ((deadline (+ (float-time) seconds)))
    (while (< (float-time) deadline) (accept-process-output nil 0.05))))

(defun plansearch-test--hit-line (file line)
  "The text that starts the results line of a hit at FILE:LINE (grep's --null form)."
  (format "%s\0%d:" file line))

(defun plansearch-test--highlighted-p (pos)
  "Whether POS shows `plansearch-match' once font-lock has run: `face' wins over
`font-lock-face', and font-lock removes a plain `face' it did not set."
  (let ((face (or (get-text-property pos 'face) (get-text-property pos 'font-lock-face))))
    (or (eq face 'plansearch-match) (and (consp face) (memq 'plansearch-match face)))))

(defun plansearch-test--goto (file line)
  "Jump from the *plansearch* line of FILE:LINE as RET does; fail unless it lands there."
  (with-current-buffer "*plansearch*"
    ;; Batch Emacs runs no redisplay, so let compilation mode parse the hits now.
    (compilation--ensure-parse (point-max))
    (goto-char (point-min))
    (unless (search-forward (plansearch-test--hit-line file line) nil t)
      (plansearch-test--fail "no line for %s:%d in:\n%s" file line (buffer-string)))
    (beginning-of-line)
    (condition-case err (compile-goto-error)
      (error (plansearch-test--fail "RET on %s:%d: %s" file line (error-message-string err)))))
  (let ((visiting (find-buffer-visiting file)))
    (unless visiting (plansearch-test--fail "RET did not visit %s" file))
    (with-current-buffer visiting
      (unless (= (line-number-at-pos) line)
        (plansearch-test--fail "RET went to line %d of %s, not %d" (line-number-at-pos) file line)))))

(let* ((file (getenv "PLANSEARCH_EXPECT_FILE"))
       (line (string-to-number (getenv "PLANSEARCH_EXPECT_LINE"))))
  (plansearch-test--wait (plansearch (getenv "PLANSEARCH_QUERY")))
  (let ((buffer (get-buffer "*plansearch*")))
    (unless buffer (plansearch-test--fail "no *plansearch* buffer"))
    (with-current-buffer buffer
      (unless (string-match-p (regexp-quote (plansearch-test--hit-line file line)) (buffer-string))
        (plansearch-test--fail "no hit for %s:%d in:\n%s" file line (buffer-string)))
      ;; A copy of the hit elsewhere, when the test names one, is a line of its own.
      (let ((copy (getenv "PLANSEARCH_EXPECT_COPY")))
        (when (and copy (string-match "\\`\\(.*\\):\\([0-9]+\\)\\'" copy)
                   (not (string-match-p (concat "^" (regexp-quote (plansearch-test--hit-line
                                                                   (match-string 1 copy)
                                                                   (string-to-number (match-string 2 copy))))
                                                "   same text as above$")
                                        (buffer-string))))
          (plansearch-test--fail "no line for the copy %s in:\n%s" copy (buffer-string))))
      ;; The matches stay highlighted once grep-mode's font-lock has fontified the buffer.
      (font-lock-ensure)
      (unless (cl-loop for pos from (point-min) below (point-max)
                       thereis (plansearch-test--highlighted-p pos))
        (plansearch-test--fail "no highlighted match in the hits buffer after font-lock")))
    (plansearch-test--goto file line)
    (with-current-buffer buffer (goto-char (point-min)))
    (next-error 1 t)
    (unless (find-buffer-visiting file) (plansearch-test--fail "next-error visited no file"))))

;; A word the plans lack: no hits, and the header says which word.
(plansearch-test--wait (plansearch "zzqqxx"))
(with-current-buffer "*plansearch*"
  (unless (string-match-p "not in the plans: zzqqxx" (buffer-string))
    (plansearch-test--fail "no word named for a query without hits:\n%s" (buffer-string))))

(defmacro plansearch-test--messages (&rest body)
  "Run BODY; return the messages it (and the event loop meanwhile) said, oldest first."
  `(let ((said nil))
     (cl-letf (((symbol-function 'message)
                (lambda (fmt &rest args) (when fmt (push (apply #'format fmt args) said)))))
       ,@body)
     (nreverse said)))

(defun plansearch-test--fake-daemon (answer)
  "A fake daemon on a fresh socket: (SERVER . PATH).
ANSWER maps a request's query to (SECONDS . RESPONSE): the response (an alist) is sent that
much later; nil sends nothing."
  (let ((path (make-temp-name (expand-file-name "plansearch-test-" temporary-file-directory))))
    (cons (make-network-process
           :name "fake-daemon" :server t :family 'local :service path :noquery t :coding 'utf-8
           :filter (lambda (client output)
                     ;; Requests are short: each arrives in one chunk.
                     (let* ((request (json-parse-string (car (split-string output "\n"))))
                            (reply (funcall answer (gethash "query" (gethash "params" request)))))
                       (when reply
                         (run-at-time (car reply) nil
                                      (lambda ()
                                        (when (process-live-p client)
                                          (process-send-string
                                           client (concat (json-serialize
                                                           `((id . ,(gethash "id" request))
                                                             (result . ,(cdr reply))))
                                                          "\n")))))))))
          path)))

(defun plansearch-test--result (hits)
  "A search result holding HITS, each (FILE LINE SNIPPET)."
  `((total . ,(length hits)) (exact . t) (missing . []) (suggestions . ,(make-hash-table))
    (hits . ,(vconcat (mapcar (lambda (hit)
                                `((file . ,(nth 0 hit)) (line . ,(nth 1 hit)) (heading . ["H"])
                                  (snippet . ,(nth 2 hit)) (highlights . [[0 1]])))
                              hits)))))

(defmacro plansearch-test--with-fake-daemon (answer &rest body)
  "Run BODY with `plansearch-socket' set to a fake daemon answering with ANSWER."
  (declare (indent 1))
  `(let* ((fake (plansearch-test--fake-daemon ,answer))
          (plansearch-socket (cdr fake)))
     (unwind-protect (progn ,@body)
       (delete-process (car fake))
       (ignore-errors (delete-file (cdr fake))))))

;; A daemon that closes the connection without answering, or never answers: a message, soon.
;; (It closes once the request is in: a batch Emacs dies of SIGPIPE writing to a closed socket.)
(dolist (case '((close . "closed the connection") (silent . "no answer from the daemon")))
  (let* ((path (make-temp-name (expand-file-name "plansearch-test-" temporary-file-directory)))
         (server (make-network-process
                  :name "fake-daemon" :server t :family 'local :service path :noquery t
                  :filter (lambda (client _request)
                            (when (eq (car case) 'close) (delete-process client)))))
         (plansearch-socket path)
         (plansearch-timeout 1)
         (said (plansearch-test--messages
                (plansearch-test--wait (plansearch "妇女") 5))))
    (delete-process server)
    (ignore-errors (delete-file path))
    (unless (cl-some (lambda (m) (string-match-p (cdr case) m)) said)
      (plansearch-test--fail "%s: expected a message with %S, got %S" (car case) (cdr case) said))))

;; A file name with colons in it: RET and `next-error' still go to the file and line.  (And
;; its -2008- does not make grep-mode grey the line out as a context line, hiding the match.)
(let* ((dir (make-temp-file "plansearch-test-" t))
       (file (expand-file-name "plan:2021:budget-2008-2009.txt" dir)))
  (with-temp-file file (insert "一\n二\n三\n妇女\n五\n"))
  (unwind-protect
      (plansearch-test--with-fake-daemon (lambda (_query) (cons 0 (plansearch-test--result `((,file 4 "妇女")))))
        (plansearch-test--wait (plansearch "妇女"))
        (with-current-buffer "*plansearch*"
          (font-lock-ensure)
          (goto-char (point-min))
          (unless (and (search-forward " — 妇女" nil t) (plansearch-test--highlighted-p (- (point) 2)))
            (plansearch-test--fail "the match is not highlighted in:\n%s" (buffer-string))))
        (plansearch-test--goto file 4)
        (kill-buffer (find-buffer-visiting file))
        (with-current-buffer "*plansearch*" (goto-char (point-min)))
        (next-error 1 t)
        (unless (and (find-buffer-visiting file)
                     (with-current-buffer (find-buffer-visiting file) (= (line-number-at-pos) 4)))
          (plansearch-test--fail "next-error did not go to %s:4" file))
        (kill-buffer (find-buffer-visiting file)))
    (delete-directory dir t)))

;; A query that reads as file:line: (2021: 3: ..., or with a line break) gives the header no
;; place to jump to: the only places are the hits.
(plansearch-test--with-fake-daemon (lambda (_query) (cons 0 (plansearch-test--result '(("/f" 7 "x")))))
  (plansearch-test--wait (plansearch "2021: 3: 计划\n4: 5: y"))
  (with-current-buffer "*plansearch*"
    (compilation--ensure-parse (point-max))
    (goto-char (point-min))
    ;; (`compilation-next-error' would skip a place on the line it starts from.)
    (let ((places nil))
      (while (not (eobp))
        (when (get-text-property (point) 'compilation-message) (push (line-number-at-pos) places))
        (forward-line 1))
      (unless (equal places (list (count-lines (point-min) (point-max))))
        (plansearch-test--fail "places on lines %S, not only the hit's, in:\n%s" (reverse places) (buffer-string))))))

;; A slow answer to an earlier search does not replace the answer to a later one.
(plansearch-test--with-fake-daemon
    (lambda (query) (cons (if (equal query "slow") 0.5 0) (plansearch-test--result `(("/f" 1 ,query)))))
  (plansearch "slow")
  (plansearch-test--wait (plansearch "fast"))
  (plansearch-test--sleep 1)
  (with-current-buffer "*plansearch*"
    (unless (string-match-p "\\`PlanSearch: «fast»" (buffer-string))
      (plansearch-test--fail "the earlier search's answer replaced the later one's:\n%s" (buffer-string)))))

;; A huge answer (12 MB) is read in linear time: well within the timeout.
(plansearch-test--with-fake-daemon
    (lambda (_query) (cons 0 (plansearch-test--result `(("/huge" 1 ,(make-string 4000000 ?字))))))
  (let* ((plansearch-timeout 5)
         (start (float-time))
         (said (plansearch-test--messages (plansearch-test--wait (plansearch "huge") 8))))
    (unless (with-current-buffer (get-buffer-create "*plansearch*") (string-match-p "^PlanSearch: «huge»" (buffer-string)))
      (plansearch-test--fail "a 12 MB answer was not shown within %.1f s: %S" (- (float-time) start) said))))

;; A daemon that accepts nothing (stopped, its listen queue full): a message, not a frozen Emacs.
(let* ((path (make-temp-name (expand-file-name "plansearch-test-" temporary-file-directory)))
       ;; A queue of length 0 holds one connection, and this Emacs accepts none before the
       ;; search runs: the search's connection finds the queue full.
       (server (make-network-process :name "full-daemon" :server 0 :family 'local :service path :noquery t))
       (filler (make-network-process :name "filler" :family 'local :service path :noquery t))
       (plansearch-socket path)
       (plansearch-timeout 1)
       (said (plansearch-test--messages
              (condition-case err (plansearch-test--wait (plansearch "妇女") 5)
                (user-error (message "%s" (error-message-string err)))))))
  (mapc #'delete-process (list filler server))
  (ignore-errors (delete-file path))
  (unless (cl-some (lambda (m) (string-match-p (regexp-quote path) m)) said)
    (plansearch-test--fail "full queue: expected a message naming %s, got %S" path said)))

;; An empty XDG_CACHE_HOME counts as unset: the socket path is still absolute.
(let ((process-environment (append '("XDG_RUNTIME_DIR=" "XDG_CACHE_HOME=" "PLANSEARCH_SOCKET") process-environment))
      (plansearch-socket nil))
  (unless (file-name-absolute-p (plansearch--socket))
    (plansearch-test--fail "socket path %S is relative" (plansearch--socket))))

;; An empty PLANSEARCH_SOCKET counts as unset too (as for the daemon and the command line).
(let ((process-environment (append '("PLANSEARCH_SOCKET=" "XDG_RUNTIME_DIR=/run/user/4242") process-environment))
      (plansearch-socket nil))
  (unless (equal (plansearch--socket) "/run/user/4242/plansearch/plansearch.sock")
    (plansearch-test--fail "an empty PLANSEARCH_SOCKET gave %S" (plansearch--socket))))

;; No daemon: a clear error at once, not a hang.
(let ((plansearch-socket "/nonexistent/plansearch.sock"))
  (condition-case err
      (progn (plansearch "妇女") (plansearch-test--fail "no error without a daemon"))
    (user-error (unless (string-match-p "no daemon" (error-message-string err))
                  (plansearch-test--fail "unexpected error: %s" (error-message-string err))))))
(kill-emacs 0)
