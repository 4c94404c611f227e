// The photo library's public surface for the app (UI, state wiring, engine worker). The Node CLI imports the
// pure codecs directly (tokenCodec.ts, libraryFile.ts, embedding.ts, crc32.ts, exif.ts, records.ts; fp16 in src/shared),
// never this file, which pulls in idb.

export { openLibrary, Library, type OpenLibraryOptions } from './library';
export type { StorageEvent, StorageListener, LibraryChange, LibraryChangeKind, StorageEstimateInfo, ConnectionState } from './events';
export {
  StorageFullError, StorageUnavailableError, LibraryOutdatedError, LibraryBlockedError, PhotoNotFoundError,
  OriginalMissingError, LibraryCorruptError, isQuotaError,
} from './errors';
export { getStorageEstimate, requestPersistence } from './quota';
export {
  addPhotos, getPhoto, getPhotos, getThumbnail, getOriginal, listPhotos, countPhotos, countByStatus, deletePhotos, deletePhoto,
  clearLibrary, type NewPhoto, type AddResult, type AddOutcome, type PhotoQuery, type PhotoPage, type PhotoCursor,
} from './photos';
export { preparePhoto, UnsupportedImageError, THUMBNAIL_MAX_EDGE } from './photoInput';
export {
  claimNextJob, renewLease, finishIndexing, failIndexing, releaseJob, recoverJobs, retryPhoto, setCurrentModel, reindexStale, listJobs,
  LEASE_MS, MAX_JOB_ATTEMPTS, type ClaimedJob, type IndexResult, type FinishOutcome,
} from './indexing';
export { getTokens, getEmbedding, loadEmbeddings, type EmbeddingMatrix } from './vectors';
export { createChat, appendTurns, replaceAnswer, getChat, listChats, deleteChat } from './chats';
export { getSettings, updateSettings } from './settings';
export { exportLibrary, importLibrary, blobSource, type ExportOptions, type ImportOptions, type ImportReport } from './exportImport';
export { verifyLibrary, type IntegrityReport } from './integrity';
export { LIBRARY_FILE_EXTENSION, LIBRARY_MIME_TYPE, LibraryFileError, type SkippedItem } from './libraryFile';
export { TokenFormatError, type StoredTokens } from './tokenCodec';
export type {
  PhotoRecord, PhotoStatus, ThumbnailRecord, OriginalRecord, ChatRecord, ChatTurn, JobRecord, Settings,
} from './records';
