import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The dev server and `vite preview` use port 54370 (package.json scripts): put
// http://localhost:54370 in the API's CORS_ORIGINS. VITE_API_URL points the client at the API.
export default defineConfig({
  plugins: [react()],
  build: { target: 'es2022', sourcemap: true },
});
