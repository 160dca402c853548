package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"lifeline/accounts"
	"lifeline/api/auth"
	"lifeline/jobs"
)

// Solves (POST /v1/optimize, POST /v1/sites/plan) all go through the one
// bounded queue Deps.Queue (jobs.Local by default, sized by Limits). With
// async=true the answer is 202 with the job and a Location to poll:
// GET /v1/jobs/{id} answers its state (queued, running, done, failed,
// cancelled), the latest progress and, once done, the result; DELETE
// cancels it. Without async the request waits for its job (a client that
// goes away cancels it). A full queue answers 429 with Retry-After.

// mayUseJob: a job is seen and cancelled only by the account that started
// it and by admins (anyone when the server runs without auth).
func mayUseJob(c *gin.Context, j jobs.Job) bool {
	if auth.RoleOf(c) == accounts.RoleAdmin {
		return true
	}
	if id := auth.IdentityOf(c); id != nil {
		return id.Username == j.Owner
	}
	return j.Owner == ""
}

func ownerOf(c *gin.Context) string {
	if id := auth.IdentityOf(c); id != nil {
		return id.Username
	}
	return ""
}

// jobView is the JSON form of a job.
type jobView struct {
	ID       string          `json:"id"`
	Kind     string          `json:"kind"`
	State    string          `json:"state"`
	Created  time.Time       `json:"created_at"`
	Started  time.Time       `json:"started_at,omitzero"`
	Ended    time.Time       `json:"ended_at,omitzero"`
	Progress json.RawMessage `json:"progress,omitempty"`
	Result   json.RawMessage `json:"result,omitempty"`
	Error    *Error          `json:"error,omitempty"`
	Owner    string          `json:"owner,omitempty"` // the account that started it ("" without auth)
	Attempt  int             `json:"attempt,omitempty"`
}

func viewOf(j jobs.Job) jobView {
	v := jobView{ID: j.ID, Kind: j.Kind, Owner: j.Owner, State: string(j.State), Created: j.Created, Started: j.Started, Ended: j.Ended,
		Progress: j.Progress, Result: j.Result}
	if j.Err != nil {
		v.Error = statusOf(j.Err)
	}
	if j.Attempt > 1 {
		v.Attempt = j.Attempt // run again after its server stopped
	}
	return v
}

func (h *Handlers) getJob(c *gin.Context) {
	j, err := h.Queue.Get(c.Request.Context(), c.Param("id"))
	if err == nil && !mayUseJob(c, j) {
		err = jobs.ErrNotFound
	}
	if err != nil {
		fail(c, err)
		return
	}
	v := viewOf(j)
	if v.Result, err = h.resultOf(c, j); err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

func (h *Handlers) cancelJob(c *gin.Context) {
	ctx := c.Request.Context()
	if j, err := h.Queue.Get(ctx, c.Param("id")); err == nil && !mayUseJob(c, j) {
		fail(c, jobs.ErrNotFound)
		return
	}
	j, err := h.Queue.Cancel(ctx, c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, viewOf(j))
}

// worker is the body of a kind of solve: args is what the handler
// submitted (JSON), ctx the job's.
type worker func(ctx context.Context, args json.RawMessage, report func(any)) (any, error)

// register makes w the queue's worker for kind; its errors are kept in
// the form the error table gives them (status, code, message, details), so
// that a job failed on any replica answers as the request would have.
func (h *Handlers) register(kind string, w worker) {
	h.Queue.Register(kind, func(ctx context.Context, args json.RawMessage, report func(any)) (any, error) {
		res, err := w(ctx, args, report)
		if err != nil {
			return nil, h.failure(kind, err)
		}
		return res, nil
	})
}

// failure is a solve's error as the error table gives it.
func (h *Handlers) failure(kind string, err error) *jobs.Failure {
	e := statusOf(err)
	if e.Status == http.StatusInternalServerError {
		h.Logger.Error("solve failed", "kind", kind, "err", err)
	}
	return &jobs.Failure{Status: e.Status, Code: e.Code, Message: e.Message, Details: e.Details}
}

// resultView renders the answer of a job of one kind from what its worker
// returned (see registerView).
type resultView func(ctx context.Context, role accounts.Role, result json.RawMessage) (any, error)

// registerView makes v the renderer of kind's results: a worker whose
// answer holds personal data (a timetable names riders and their places)
// returns only a reference to what it stored, so that the job's record
// keeps none, and v renders the answer each time the job is read, masked
// for the reader's role.
func (h *Handlers) registerView(kind string, v resultView) {
	if h.views == nil {
		h.views = map[string]resultView{}
	}
	h.views[kind] = v
}

// resultOf is the answer of a job as its reader sees it: the result as
// stored, or rendered by its kind's view.
func (h *Handlers) resultOf(c *gin.Context, j jobs.Job) (json.RawMessage, error) {
	v := h.views[j.Kind]
	if v == nil || j.State != jobs.Done || len(j.Result) == 0 {
		return j.Result, nil
	}
	out, err := v(c.Request.Context(), auth.RoleOf(c), j.Result)
	if err != nil {
		return nil, err
	}
	return json.Marshal(out)
}

// runSolve submits a job of kind with its arguments (everything the
// registered worker needs, as JSON) and a time budget: async (202 with the
// job and a Location), or sync (200 with the result; the request's end
// cancels the job). The job may run on any replica sharing the queue.
func (h *Handlers) runSolve(c *gin.Context, kind string, budget time.Duration, args any) {
	async, err := queryBool(c, "async", false)
	if err != nil {
		fail(c, err)
		return
	}
	ctx := c.Request.Context()
	j, err := h.Queue.Submit(ctx, jobs.Spec{Kind: kind, Owner: ownerOf(c), Timeout: budget + 5*time.Second, Args: args})
	if err != nil {
		fail(c, err)
		return
	}
	if async {
		c.Header("Location", "/v1/jobs/"+j.ID)
		c.JSON(http.StatusAccepted, viewOf(j))
		return
	}
	id := j.ID
	j, err = h.Queue.Wait(ctx, id)
	if err != nil {
		if ctx.Err() != nil {
			bg := context.WithoutCancel(ctx)
			_, _ = h.Queue.Cancel(bg, id)
			h.Queue.Forget(bg, id)
		}
		fail(c, err)
		return
	}
	defer h.Queue.Forget(context.WithoutCancel(ctx), id)
	switch j.State {
	case jobs.Done:
		res, err := h.resultOf(c, j)
		if err != nil {
			fail(c, err)
			return
		}
		c.Data(http.StatusOK, "application/json; charset=utf-8", res)
	case jobs.Cancelled:
		fail(c, context.Canceled)
	default:
		if j.Err == nil {
			fail(c, errors.New("job failed"))
			return
		}
		fail(c, j.Err)
	}
}
