/* io.c: atomic output files (PITFALLS.md 10) and provenance records. */
#include "muon/io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <cblas.h>
#include <gsl/gsl_version.h>
#include <jansson.h>
#include <zlib.h>

#include "muon/linalg.h"
#include "muon/status.h"
#include "muon_config.h"

struct muon_afile {
    FILE *f;
    char *path;
    char *tmp;
};

int
muon_afile_open(muon_afile **out, const char *path, FILE **f)
{
    *out = NULL;
    *f = NULL;
    muon_afile *af = calloc(1, sizeof *af);
    if (!af)
        return MUON_ERROR(MUON_ENOMEM, "%s: out of memory", path);
    size_t len = strlen(path);
    af->path = strdup(path);
    af->tmp = malloc(len + 32);
    if (!af->path || !af->tmp) {
        muon_afile_abort(af);
        return MUON_ERROR(MUON_ENOMEM, "%s: out of memory", path);
    }
    /* Same directory as the destination so rename() is atomic; the pid
     * keeps concurrent writers (parallel sweep cells) apart. */
    snprintf(af->tmp, len + 32, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(af->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        int e = errno;
        free(af->tmp);
        af->tmp = NULL;
        muon_afile_abort(af);
        return MUON_ERROR(MUON_EIO, "%s: cannot create temporary file: %s",
                          path, strerror(e));
    }
    af->f = fdopen(fd, "w");
    if (!af->f) {
        int e = errno;
        close(fd);
        muon_afile_abort(af);
        return MUON_ERROR(MUON_EIO, "%s: %s", path, strerror(e));
    }
    *out = af;
    *f = af->f;
    return MUON_SUCCESS;
}

static void
afile_release(muon_afile *af)
{
    free(af->path);
    free(af->tmp);
    free(af);
}

void
muon_afile_abort(muon_afile *af)
{
    if (!af)
        return;
    if (af->f)
        fclose(af->f);
    if (af->tmp)
        unlink(af->tmp);
    afile_release(af);
}

static int
fsync_dir_of(const char *path)
{
    char *dir = strdup(path);
    if (!dir)
        return -1;
    char *slash = strrchr(dir, '/');
    const char *d = ".";
    if (slash) {
        if (slash == dir)
            slash[1] = '\0';
        else
            *slash = '\0';
        d = dir;
    }
    int fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = -1;
    if (fd >= 0) {
        rc = fsync(fd);
        close(fd);
    }
    free(dir);
    return rc;
}

int
muon_afile_commit(muon_afile *af)
{
    int e = 0;
    const char *what = NULL;
    if (ferror(af->f)) {
        e = EIO;
        what = "write";
    } else if (fflush(af->f) != 0) {
        e = errno;
        what = "flush";
    } else if (fsync(fileno(af->f)) != 0) {
        e = errno;
        what = "fsync";
    }
    int cl = fclose(af->f);
    af->f = NULL;
    if (!what && cl != 0) {
        e = errno;
        what = "close";
    }
    if (!what && rename(af->tmp, af->path) != 0) {
        e = errno;
        what = "rename";
    }
    if (what) {
        int rc = MUON_ERROR(MUON_EIO, "%s: %s failed: %s (previous file kept)",
                            af->path, what, strerror(e));
        muon_afile_abort(af);
        return rc;
    }
    /* The data is durable once the directory entry is; an fsync failure on
     * the directory is reported but the file is already in place. */
    int rc = MUON_SUCCESS;
    if (fsync_dir_of(af->path) != 0)
        rc = MUON_ERROR(MUON_EIO, "%s: directory fsync failed: %s", af->path,
                        strerror(errno));
    afile_release(af);
    return rc;
}

/* ---- provenance -------------------------------------------------------- */

static char command_line[32768];
static unsigned long long run_seed;
static int have_seed;

static void
append_quoted(char *buf, size_t cap, const char *arg)
{
    size_t len = strlen(buf);
    int ctrl = 0;
    for (const char *c = arg; *c; c++)
        ctrl |= ((unsigned char)*c < 0x20 && *c != '\t') || *c == 0x7f;
    if (ctrl) {
        /* Line breaks and other control characters would break the
         * one-line '#' record: bash's $'...' quoting with escapes.  Plain
         * arguments (tabs included) keep POSIX single quotes, which any sh
         * reads back. */
        snprintf(buf + len, cap - len, "%s$'", len ? " " : "");
        for (const char *c = arg; *c; c++) {
            len = strlen(buf);
            unsigned char u = (unsigned char)*c;
            if (u == '\\' || u == '\'')
                snprintf(buf + len, cap - len, "\\%c", u);
            else if (u == '\n')
                snprintf(buf + len, cap - len, "\\n");
            else if (u == '\t')
                snprintf(buf + len, cap - len, "\\t");
            else if (u < 0x20 || u == 0x7f)
                snprintf(buf + len, cap - len, "\\x%02x", u);
            else
                snprintf(buf + len, cap - len, "%c", u);
        }
        len = strlen(buf);
        snprintf(buf + len, cap - len, "'");
        return;
    }
    int plain = *arg != '\0';
    for (const char *c = arg; *c; c++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                    "0123456789-_=.,/:+@%", *c))
            plain = 0;
    if (plain) {
        snprintf(buf + len, cap - len, "%s%s", len ? " " : "", arg);
        return;
    }
    snprintf(buf + len, cap - len, "%s'", len ? " " : "");
    for (const char *c = arg; *c; c++) {
        len = strlen(buf);
        if (*c == '\'')
            snprintf(buf + len, cap - len, "'\\''");
        else
            snprintf(buf + len, cap - len, "%c", *c);
    }
    len = strlen(buf);
    snprintf(buf + len, cap - len, "'");
}

void
muon_provenance_set_command(int argc, char **argv)
{
    command_line[0] = '\0';
    for (int i = 0; i < argc; i++)
        append_quoted(command_line, sizeof command_line, argv[i]);
}

void
muon_provenance_set_seed(unsigned long long seed)
{
    run_seed = seed;
    have_seed = 1;
}

const char *
muon_provenance_command(void)
{
    return command_line;
}

/* Declared by OpenBLAS's cblas.h: openblas_get_config,
 * openblas_get_num_threads. */

static void
utc_now(char *buf, size_t cap)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
cpu_model(char *buf, size_t cap)
{
    snprintf(buf, cap, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "model name", 10)) {
            char *colon = strchr(line, ':');
            if (colon) {
                colon += 2;
                colon[strcspn(colon, "\n")] = '\0';
                snprintf(buf, cap, "%s", colon);
            }
            break;
        }
    }
    fclose(f);
}

typedef struct {
    const char *key;
    const char *value; /* points into buf, or at command_line */
    char buf[512];
} prov_item;

#define NPROV 11

static void
provenance_items(prov_item *it)
{
    struct utsname u;
    int n = 0;
    for (int i = 0; i < NPROV; i++)
        it[i].value = it[i].buf;
    it[n].key = "command";
    it[n++].value = command_line; /* whole, however long */
    it[n].key = "version";
    snprintf(it[n++].buf, sizeof it[0].buf, "muonlab %s", MUON_VERSION);
    it[n].key = "seed";
    if (have_seed)
        snprintf(it[n++].buf, sizeof it[0].buf, "%llu", run_seed);
    else
        snprintf(it[n++].buf, sizeof it[0].buf, "none");
    it[n].key = "date";
    utc_now(it[n++].buf, sizeof it[0].buf);
    it[n].key = "host";
    if (uname(&u) == 0)
        snprintf(it[n].buf, sizeof it[0].buf, "%s %s %s", u.sysname,
                 u.release, u.machine);
    n++;
    it[n].key = "cpu";
    cpu_model(it[n++].buf, sizeof it[0].buf);
    it[n].key = "blas";
    snprintf(it[n++].buf, sizeof it[0].buf, "%s, %d threads, "
             "OPENBLAS_CORETYPE=%s", openblas_get_config(),
             openblas_get_num_threads(),
             getenv("OPENBLAS_CORETYPE") ? getenv("OPENBLAS_CORETYPE")
                                         : "(unset)");
    /* The kernels actually in use, next to the variable that would choose
     * them: an unset OPENBLAS_CORETYPE may leave an AVX-512 CPU on generic
     * ones (muon_linalg_blas_core). */
    it[n].key = "blas_core";
    snprintf(it[n++].buf, sizeof it[0].buf, "%s", muon_linalg_blas_core());
    it[n].key = "gsl";
    snprintf(it[n++].buf, sizeof it[0].buf, "%s", gsl_version);
    it[n].key = "zlib";
    snprintf(it[n++].buf, sizeof it[0].buf, "%s", zlibVersion());
    it[n].key = "jansson";
    snprintf(it[n++].buf, sizeof it[0].buf, "%s", JANSSON_VERSION);
}

int
muon_provenance_write(FILE *f, const char *prefix)
{
    prov_item it[NPROV];
    memset(it, 0, sizeof it);
    provenance_items(it);
    for (int i = 0; i < NPROV; i++)
        if (fprintf(f, "%s%s: %s\n", prefix, it[i].key, it[i].value) < 0)
            return MUON_ERROR(MUON_EIO, "writing provenance: %s",
                              strerror(errno));
    return MUON_SUCCESS;
}

void *
muon_provenance_json(void)
{
    prov_item it[NPROV];
    memset(it, 0, sizeof it);
    provenance_items(it);
    json_t *o = json_object();
    if (!o)
        return NULL;
    for (int i = 0; i < NPROV; i++)
        if (json_object_set_new(o, it[i].key, json_string(it[i].value))) {
            json_decref(o);
            return NULL;
        }
    return o;
}
