package openapi_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strconv"
	"sync"
	"testing"
)

// The Pet Store of testdata/petstore.yaml, implemented from the document (as
// the reference server answers, JSON only) enough to exercise every kind of
// parameter, bodies, error statuses and resources. It is served under
// /api/v3, the path of the document's server.

type category struct {
	ID   int64  `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}

type tag struct {
	ID   int64  `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}

type pet struct {
	ID        int64     `json:"id,omitempty"`
	Name      string    `json:"name"`
	Category  *category `json:"category,omitempty"`
	PhotoURLs []string  `json:"photoUrls"`
	Tags      []tag     `json:"tags,omitempty"`
	Status    string    `json:"status,omitempty"`
}

type order struct {
	ID       int64  `json:"id,omitempty"`
	PetID    int64  `json:"petId,omitempty"`
	Quantity int32  `json:"quantity,omitempty"`
	ShipDate string `json:"shipDate,omitempty"`
	Status   string `json:"status,omitempty"`
	Complete bool   `json:"complete,omitempty"`
}

type user struct {
	ID         int64  `json:"id,omitempty"`
	Username   string `json:"username,omitempty"`
	FirstName  string `json:"firstName,omitempty"`
	LastName   string `json:"lastName,omitempty"`
	Email      string `json:"email,omitempty"`
	Password   string `json:"password,omitempty"`
	Phone      string `json:"phone,omitempty"`
	UserStatus int32  `json:"userStatus,omitempty"`
}

// petStore is the store's state.
type petStore struct {
	apiKey string // the api_key the inventory needs
	rec    recorder

	mu     sync.Mutex
	pets   map[int64]*pet
	orders map[int64]*order
	users  map[string]*user
	upload []byte
}

// newPetStore serves a Pet Store with two pets and a user, and returns its
// base URL (the document's server, moved to the test server).
func newPetStore(t *testing.T) (*petStore, string) {
	ps := &petStore{
		apiKey: "special-key",
		pets: map[int64]*pet{
			1: {ID: 1, Name: "Rex", PhotoURLs: []string{"rex.jpg"}, Tags: []tag{{1, "good"}}, Status: "available", Category: &category{1, "Dogs"}},
			2: {ID: 2, Name: "Tom", PhotoURLs: []string{}, Tags: []tag{{2, "lazy"}, {1, "good"}}, Status: "sold", Category: &category{2, "Cats"}},
		},
		orders: map[int64]*order{},
		users:  map[string]*user{"user1": {ID: 1, Username: "user1", FirstName: "Ada"}},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v3/pet", ps.addPet)
	mux.HandleFunc("PUT /api/v3/pet", ps.updatePet)
	mux.HandleFunc("GET /api/v3/pet/findByStatus", ps.findByStatus)
	mux.HandleFunc("GET /api/v3/pet/findByTags", ps.findByTags)
	mux.HandleFunc("GET /api/v3/pet/{petId}", ps.getPet)
	mux.HandleFunc("POST /api/v3/pet/{petId}", ps.updatePetWithForm)
	mux.HandleFunc("DELETE /api/v3/pet/{petId}", ps.deletePet)
	mux.HandleFunc("POST /api/v3/pet/{petId}/uploadImage", ps.uploadImage)
	mux.HandleFunc("GET /api/v3/store/inventory", ps.inventory)
	mux.HandleFunc("POST /api/v3/store/order", ps.placeOrder)
	mux.HandleFunc("GET /api/v3/store/order/{orderId}", ps.getOrder)
	mux.HandleFunc("DELETE /api/v3/store/order/{orderId}", ps.deleteOrder)
	mux.HandleFunc("POST /api/v3/user", ps.createUser)
	mux.HandleFunc("POST /api/v3/user/createWithList", ps.createUsers)
	mux.HandleFunc("GET /api/v3/user/login", ps.login)
	mux.HandleFunc("GET /api/v3/user/logout", ps.logout)
	mux.HandleFunc("GET /api/v3/user/{username}", ps.getUser)
	mux.HandleFunc("PUT /api/v3/user/{username}", ps.updateUser)
	mux.HandleFunc("DELETE /api/v3/user/{username}", ps.deleteUser)
	ts := httptest.NewServer(ps.rec.wrap(mux))
	t.Cleanup(ts.Close)
	return ps, ts.URL + "/api/v3"
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// apiError answers as the reference server does.
func apiError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"code": status, "message": msg})
}

func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		apiError(w, http.StatusUnsupportedMediaType, "unsupported content type "+ct)
		return false
	}
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		apiError(w, http.StatusBadRequest, "Input error: "+err.Error())
		return false
	}
	return true
}

func pathID(w http.ResponseWriter, r *http.Request, name string) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil {
		apiError(w, http.StatusBadRequest, fmt.Sprintf("Input error: couldn't convert `%s` to type `class java.lang.Long`", r.PathValue(name)))
		return 0, false
	}
	return id, true
}

func (ps *petStore) addPet(w http.ResponseWriter, r *http.Request) {
	var p pet
	if !decodeBody(w, r, &p) {
		return
	}
	if p.Name == "" || p.PhotoURLs == nil {
		apiError(w, http.StatusUnprocessableEntity, "Validation exception: name and photoUrls are required")
		return
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if p.ID == 0 {
		p.ID = int64(len(ps.pets) + 100)
	}
	ps.pets[p.ID] = &p
	writeJSON(w, http.StatusOK, p)
}

func (ps *petStore) updatePet(w http.ResponseWriter, r *http.Request) {
	var p pet
	if !decodeBody(w, r, &p) {
		return
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.pets[p.ID] == nil {
		apiError(w, http.StatusNotFound, "Pet not found")
		return
	}
	ps.pets[p.ID] = &p
	writeJSON(w, http.StatusOK, p)
}

func (ps *petStore) sortedPets(keep func(*pet) bool) []*pet {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	var out []*pet
	for _, p := range ps.pets {
		if keep(p) {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func (ps *petStore) findByStatus(w http.ResponseWriter, r *http.Request) {
	status := r.URL.Query().Get("status")
	if !slices.Contains([]string{"available", "pending", "sold"}, status) {
		apiError(w, http.StatusBadRequest, "Input error: query parameter `status value `"+status+"` is not in the allowable values `[available, pending, sold]`")
		return
	}
	writeJSON(w, http.StatusOK, ps.sortedPets(func(p *pet) bool { return p.Status == status }))
}

func (ps *petStore) findByTags(w http.ResponseWriter, r *http.Request) {
	tags := r.URL.Query()["tags"]
	writeJSON(w, http.StatusOK, ps.sortedPets(func(p *pet) bool {
		return slices.ContainsFunc(p.Tags, func(t tag) bool { return slices.Contains(tags, t.Name) })
	}))
}

func (ps *petStore) getPet(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "petId")
	if !ok {
		return
	}
	ps.mu.Lock()
	p := ps.pets[id]
	ps.mu.Unlock()
	if p == nil {
		apiError(w, http.StatusNotFound, "Pet not found")
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (ps *petStore) updatePetWithForm(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "petId")
	if !ok {
		return
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	p := ps.pets[id]
	if p == nil {
		apiError(w, http.StatusNotFound, "Pet not found")
		return
	}
	if v := r.URL.Query().Get("name"); v != "" {
		p.Name = v
	}
	if v := r.URL.Query().Get("status"); v != "" {
		p.Status = v
	}
	writeJSON(w, http.StatusOK, p)
}

func (ps *petStore) deletePet(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "petId")
	if !ok {
		return
	}
	if k := r.Header.Get("api_key"); k != "" && k != ps.apiKey && k != "delete-key" {
		apiError(w, http.StatusForbidden, "Forbidden")
		return
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.pets[id] == nil {
		apiError(w, http.StatusBadRequest, "Invalid pet value")
		return
	}
	delete(ps.pets, id)
	w.WriteHeader(http.StatusOK) // the reference server answers 200 with no body
}

func (ps *petStore) uploadImage(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "petId")
	if !ok {
		return
	}
	data, _ := io.ReadAll(r.Body)
	if len(data) == 0 {
		apiError(w, http.StatusBadRequest, "No file uploaded")
		return
	}
	ps.mu.Lock()
	ps.upload = data
	ps.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"code": 200, "type": "unknown",
		"message": fmt.Sprintf("additionalMetadata: %s\nFile uploaded for pet %d, %d bytes", r.URL.Query().Get("additionalMetadata"), id, len(data))})
}

func (ps *petStore) inventory(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("api_key") != ps.apiKey {
		apiError(w, http.StatusUnauthorized, "api_key required")
		return
	}
	counts := map[string]int{}
	for _, p := range ps.sortedPets(func(*pet) bool { return true }) {
		counts[p.Status]++
	}
	writeJSON(w, http.StatusOK, counts)
}

func (ps *petStore) placeOrder(w http.ResponseWriter, r *http.Request) {
	var o order
	if !decodeBody(w, r, &o) {
		return
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.pets[o.PetID] == nil {
		apiError(w, http.StatusUnprocessableEntity, "Validation exception: no such pet")
		return
	}
	ps.orders[o.ID] = &o
	writeJSON(w, http.StatusOK, o)
}

func (ps *petStore) getOrder(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "orderId")
	if !ok {
		return
	}
	ps.mu.Lock()
	o := ps.orders[id]
	ps.mu.Unlock()
	if o == nil {
		apiError(w, http.StatusNotFound, "Order not found")
		return
	}
	writeJSON(w, http.StatusOK, o)
}

func (ps *petStore) deleteOrder(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "orderId")
	if !ok {
		return
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.orders[id] == nil {
		apiError(w, http.StatusNotFound, "Order not found")
		return
	}
	delete(ps.orders, id)
	w.WriteHeader(http.StatusOK)
}

func (ps *petStore) createUser(w http.ResponseWriter, r *http.Request) {
	var u user
	if !decodeBody(w, r, &u) {
		return
	}
	ps.mu.Lock()
	ps.users[u.Username] = &u
	ps.mu.Unlock()
	writeJSON(w, http.StatusOK, u)
}

func (ps *petStore) createUsers(w http.ResponseWriter, r *http.Request) {
	var us []user
	if !decodeBody(w, r, &us) {
		return
	}
	ps.mu.Lock()
	for i := range us {
		ps.users[us[i].Username] = &us[i]
	}
	ps.mu.Unlock()
	if len(us) == 0 {
		apiError(w, http.StatusBadRequest, "no users")
		return
	}
	writeJSON(w, http.StatusOK, us[len(us)-1])
}

func (ps *petStore) login(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ps.mu.Lock()
	u := ps.users[q.Get("username")]
	ps.mu.Unlock()
	if u == nil || q.Get("password") == "" {
		apiError(w, http.StatusBadRequest, "Invalid username/password supplied")
		return
	}
	w.Header().Set("X-Rate-Limit", "5000")
	writeJSON(w, http.StatusOK, "logged in user session: "+u.Username)
}

func (ps *petStore) logout(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	io.WriteString(w, "User logged out")
}

func (ps *petStore) getUser(w http.ResponseWriter, r *http.Request) {
	ps.mu.Lock()
	u := ps.users[r.PathValue("username")]
	ps.mu.Unlock()
	if u == nil {
		apiError(w, http.StatusNotFound, "User not found")
		return
	}
	writeJSON(w, http.StatusOK, u)
}

func (ps *petStore) updateUser(w http.ResponseWriter, r *http.Request) {
	var u user
	if !decodeBody(w, r, &u) {
		return
	}
	name := r.PathValue("username")
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.users[name] == nil {
		apiError(w, http.StatusNotFound, "user not found")
		return
	}
	delete(ps.users, name)
	ps.users[u.Username] = &u
	w.WriteHeader(http.StatusOK)
}

func (ps *petStore) deleteUser(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("username")
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.users[name] == nil {
		apiError(w, http.StatusNotFound, "User not found")
		return
	}
	delete(ps.users, name)
	w.WriteHeader(http.StatusOK)
}

// petNames returns the names of the pets, sorted, for assertions.
func (ps *petStore) petNames() []string {
	var names []string
	for _, p := range ps.sortedPets(func(*pet) bool { return true }) {
		names = append(names, p.Name)
	}
	return names
}

// hasUser reports whether the store has a user.
func (ps *petStore) hasUser(name string) bool {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return ps.users[name] != nil
}
