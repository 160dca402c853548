package api

import (
	"context"
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
	ID       string    `json:"id"`
	Kind     string    `json:"kind"`
	State    string    `json:"state"`
	Created  time.Time `json:"created_at"`
	Started  time.Time `json:"started_at,omitzero"`
	Ended    time.Time `json:"ended_at,omitzero"`
	Progress any       `json:"progress,omitempty"`
	Result   any       `json:"result,omitempty"`
	Error    *Error    `json:"error,omitempty"`
	Owner    string    `json:"owner,omitempty"` // the account that started it ("" without auth)
}

func viewOf(j jobs.Job) jobView {
	v := jobView{ID: j.ID, Kind: j.Kind, Owner: j.Owner, State: string(j.State), Created: j.Created, Started: j.Started, Ended: j.Ended,
		Progress: j.Progress, Result: j.Result}
	if j.Err != nil {
		v.Error = statusOf(j.Err)
	}
	return v
}

func (h *Handlers) getJob(c *gin.Context) {
	j, err := h.Queue.Get(c.Param("id"))
	if err == nil && !mayUseJob(c, j) {
		err = jobs.ErrNotFound
	}
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, viewOf(j))
}

func (h *Handlers) cancelJob(c *gin.Context) {
	if j, err := h.Queue.Get(c.Param("id")); err == nil && !mayUseJob(c, j) {
		fail(c, jobs.ErrNotFound)
		return
	}
	j, err := h.Queue.Cancel(c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, viewOf(j))
}

// runSolve submits work to the queue with a time budget: async (202 with
// the job and a Location), or sync (200 with the result; the request's end
// cancels the job). The work's context is the job's, never the request's.
func (h *Handlers) runSolve(c *gin.Context, kind string, budget time.Duration, work jobs.Work) {
	async, err := queryBool(c, "async", false)
	if err != nil {
		fail(c, err)
		return
	}
	j, err := h.Queue.Submit(jobs.Spec{Kind: kind, Owner: ownerOf(c), Timeout: budget + 5*time.Second, Work: work})
	if err != nil {
		fail(c, err)
		return
	}
	if async {
		c.Header("Location", "/v1/jobs/"+j.ID)
		c.JSON(http.StatusAccepted, viewOf(j))
		return
	}
	ctx, id := c.Request.Context(), j.ID
	j, err = h.Queue.Wait(ctx, id)
	if err != nil {
		if ctx.Err() != nil {
			_, _ = h.Queue.Cancel(id)
			h.Queue.Forget(id)
		}
		fail(c, err)
		return
	}
	defer h.Queue.Forget(id)
	switch j.State {
	case jobs.Done:
		c.JSON(http.StatusOK, j.Result)
	case jobs.Cancelled:
		fail(c, context.Canceled)
	default:
		if j.Err == nil {
			j.Err = errors.New("job failed")
		}
		fail(c, j.Err)
	}
}
