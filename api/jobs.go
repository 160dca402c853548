package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"lifeline/accounts"
	"lifeline/api/auth"
)

// mayUseJob: a job is seen and cancelled only by the account that started
// it and by admins (anyone when the server runs without auth).
func mayUseJob(c *gin.Context, j *job) bool {
	if auth.RoleOf(c) == accounts.RoleAdmin {
		return true
	}
	id := auth.IdentityOf(c)
	return id != nil && id.Username == j.Owner
}

// jobs runs long solves in the background so that a dispatcher's browser can
// show progress: POST ...?async=true answers 202 with a job id, and
// GET /v1/jobs/{id} answers its state, the latest progress report and, once
// done, the result. Jobs live in memory and are forgotten an hour after they
// end (results of a restarted server are gone; the synchronous mode returns
// them directly).
type jobs struct {
	mu   sync.Mutex
	byID map[string]*job
}

type job struct {
	ID       string    `json:"id"`
	Kind     string    `json:"kind"`
	State    string    `json:"state"` // running, done, failed, cancelled
	Started  time.Time `json:"started_at"`
	Ended    time.Time `json:"ended_at,omitzero"`
	Progress any       `json:"progress,omitempty"`
	Result   any       `json:"result,omitempty"`
	Error    *Error    `json:"error,omitempty"`
	Owner    string    `json:"owner,omitempty"` // the account that started it ("" without auth)
	cancel   context.CancelFunc
}

const jobRetention = time.Hour

func newJobs() *jobs { return &jobs{byID: map[string]*job{}} }

// start runs work in a goroutine with a context detached from the request
// (the job outlives it) but bounded by budget; report stores progress.
func (js *jobs) start(kind, owner string, budget time.Duration, work func(ctx context.Context, report func(any)) (any, error)) *job {
	var b [8]byte
	_, _ = rand.Read(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), budget)
	j := &job{ID: hex.EncodeToString(b[:]), Kind: kind, State: "running", Started: time.Now().UTC(), Owner: owner, cancel: cancel}
	js.mu.Lock()
	js.gc()
	js.byID[j.ID] = j
	js.mu.Unlock()
	go func() {
		defer cancel()
		res, err := work(ctx, func(p any) {
			js.mu.Lock()
			j.Progress = p
			js.mu.Unlock()
		})
		js.mu.Lock()
		defer js.mu.Unlock()
		j.Ended = time.Now().UTC()
		switch {
		case err != nil && j.State == "cancelled":
		case err != nil:
			j.State, j.Error = "failed", statusOf(err)
		default:
			j.State, j.Result = "done", res
		}
	}()
	return j
}

func (js *jobs) gc() {
	for id, j := range js.byID {
		if !j.Ended.IsZero() && time.Since(j.Ended) > jobRetention {
			delete(js.byID, id)
		}
	}
}

func (js *jobs) get(c *gin.Context) {
	js.mu.Lock()
	defer js.mu.Unlock()
	j, ok := js.byID[c.Param("id")]
	if !ok || !mayUseJob(c, j) {
		c.JSON(http.StatusNotFound, &Error{Code: "not_found", Message: "no job " + c.Param("id") + " (jobs are kept for an hour after they end)"})
		return
	}
	c.JSON(http.StatusOK, j)
}

func (js *jobs) cancelJob(c *gin.Context) {
	js.mu.Lock()
	defer js.mu.Unlock()
	j, ok := js.byID[c.Param("id")]
	if !ok || !mayUseJob(c, j) {
		c.JSON(http.StatusNotFound, &Error{Code: "not_found", Message: "no job " + c.Param("id")})
		return
	}
	if j.State == "running" {
		j.State = "cancelled"
		j.cancel()
	}
	c.JSON(http.StatusOK, j)
}

// runSolve runs work within budget: synchronously (200 with the result, the
// request's context cancels it when the client goes away), or in the
// background when the query says async=true (202 with the job and a Location
// to poll for progress).
func (h *Handlers) runSolve(c *gin.Context, kind string, budget time.Duration, work func(ctx context.Context, report func(any)) (any, error)) {
	if c.Query("async") == "true" {
		owner := ""
		if id := auth.IdentityOf(c); id != nil {
			owner = id.Username
		}
		j := h.jobs.start(kind, owner, budget+5*time.Second, work)
		c.Header("Location", "/v1/jobs/"+j.ID)
		h.jobs.mu.Lock()
		defer h.jobs.mu.Unlock()
		c.JSON(http.StatusAccepted, j)
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), budget+5*time.Second)
	defer cancel()
	res, err := work(ctx, func(any) {})
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, res)
}
